/** The plain, serialisable shapes the rules page, the app panel and the API show. */
import type { ApplyStatus } from './status';

export interface RuleView {
  id: number;
  app: string;
  appName: string;
  direction: string;
  action: string;
  protocol: string;
  remote: string;
  localPort: string;
  remotePort: string;
  network: string;
  iface: string;
  comment: string;
  enabled: boolean;
  priority: number;
  status: ApplyStatus;
  lastError: string | null;
  hitPackets: number;
  hitBytes: number;
}

export interface AppPolicyView {
  app: string;
  appName: string;
  defaultIn: string;
  defaultOut: string;
  quotaBytes: number | null;
  quotaNetwork: string;
  quotaCycleDay: number;
  quotaUsed: number;
  status: ApplyStatus;
  lastError: string | null;
}

export interface RulesView {
  rules: RuleView[];
  apps: AppPolicyView[];
  precedence: readonly string[];
  lastApply: { lastTry: number | null; lastOk: number | null; lastError: string | null };
  /** App keys seen by the collector, for the app picker. */
  knownApps: string[];
}
