/**
 * Realistic firewall configurations for the packet-path benchmarks, built with appnet's
 * own builder (lib/nft/firewall.ts) from validated rules, as the collector would apply them.
 */
import { firewallCommands, type FwApp, type FwRule } from '../lib/nft/firewall';
import { validateAppPolicy, validateRule, type RuleInput } from '../lib/rules/model';

export interface FirewallSetup {
  commands: string[];
  /** Levels the firewall looks up per packet. */
  levels: number[];
  /** Levels looked up on each hook (none: the hook has no firewall lookup). */
  hookLevels: { in: number[]; out: number[] };
  /** Whether the rules need conntrack (a drop or reject rule exempts replies). */
  conntrack: boolean;
  rules: number;
  apps: number;
}

function rule(input: RuleInput): FwRule['rule'] {
  const v = validateRule(input);
  if (!v.ok) throw new Error(`bench firewall rule ${JSON.stringify(input)}: ${v.message}`);
  return v.value;
}

/**
 * rulesFor gives app number i a small, typical rule set (cycling through kinds): no
 * mobile data, block SMTP, allow only HTTPS out on metered networks, count DNS. None
 * of them matches the benchmark's traffic, so packets walk the app's whole chain.
 */
function rulesFor(app: string, i: number): RuleInput[] {
  switch (i % 4) {
    case 0:
      return [{ app, direction: 'both', action: 'drop', network: 'mobile', protocol: 'tcp', remotePort: '6881-6889' }];
    case 1:
      return [{ app, direction: 'out', action: 'drop', protocol: 'tcp', remotePort: 25 }];
    case 2:
      return [{ app, direction: 'out', action: 'allow', protocol: 'tcp', remotePort: 443, network: 'metered' }, { app, direction: 'out', action: 'drop', network: 'metered', remote: '192.0.2.0/24' }];
    default:
      return [{ app, direction: 'out', action: 'count', protocol: 'udp', remotePort: 53 }];
  }
}

/**
 * realisticFirewall builds the firewall for `appCgroups` (each an app with its rules,
 * until `maxRules` rules exist), plus two rules for the measured app itself so its
 * packets go through its own chain, over every live cgroup in `allCgroups`.
 */
export function realisticFirewall(opts: { measured: string; appCgroups: string[]; maxRules: number; allCgroups: string[]; iface: string }): FirewallSetup {
  const rules: FwRule[] = [];
  const apps: FwApp[] = [];
  const add = (app: string, inputs: RuleInput[]) => {
    const id = apps.length + 1;
    const p = validateAppPolicy({ app });
    if (!p.ok) throw new Error(`bench firewall app ${app}: ${p.message}`);
    apps.push({ id, policy: p.value, quotaUsed: 0 });
    for (const r of inputs) rules.push({ id: rules.length + 1, rule: rule(r) });
  };
  add(opts.measured, [
    { app: opts.measured, direction: 'out', action: 'count', protocol: 'udp', remotePort: 53 },
    { app: opts.measured, direction: 'out', action: 'drop', protocol: 'tcp', remotePort: 25 },
  ]);
  for (let i = 0; i < opts.appCgroups.length && rules.length < opts.maxRules; i++) add(opts.appCgroups[i], rulesFor(opts.appCgroups[i], i).slice(0, opts.maxRules - rules.length));
  const plan = firewallCommands({ rules, apps, cgroups: opts.allCgroups, ifaces: [{ name: opts.iface, kind: 'mobile', metered: true }] });
  return { commands: plan.commands, levels: plan.levels, hookLevels: plan.hookLevels, conntrack: plan.conntrack, rules: rules.length, apps: apps.length };
}
