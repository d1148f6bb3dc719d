'use client';
import { useMemo, useState } from 'react';
import { useRouter } from 'next/navigation';
import { previewRule } from '../lib/nft/firewall';
import type { RuleView } from '../lib/rules/view';
import { callRulesApi } from './rules-api';
import styles from './Rules.module.css';

interface Draft {
  app: string;
  direction: string;
  action: string;
  protocol: string;
  remote: string;
  localPort: string;
  remotePort: string;
  network: string;
  iface: string;
  comment: string;
  priority: string;
  enabled: boolean;
}

const EMPTY: Draft = { app: '', direction: 'out', action: 'allow', protocol: 'any', remote: '', localPort: '', remotePort: '', network: 'any', iface: '', comment: '', priority: '100', enabled: true };

function fromView(r: RuleView): Draft {
  return {
    app: r.app, direction: r.direction, action: r.action, protocol: r.protocol, remote: r.remote, localPort: r.localPort, remotePort: r.remotePort,
    network: r.iface ? 'iface' : r.network, iface: r.iface, comment: r.comment, priority: String(r.priority), enabled: r.enabled,
  };
}

/** toInput turns the form's strings into the API's rule body (empty fields left out). */
function toInput(d: Draft) {
  const priority = d.priority.trim() === '' ? 100 : Number(d.priority);
  return {
    app: d.app.trim(), direction: d.direction, action: d.action, protocol: d.protocol,
    remote: d.remote.trim() || null, localPort: d.localPort.trim() || null, remotePort: d.remotePort.trim() || null,
    network: d.network === 'iface' ? 'any' : d.network, iface: d.network === 'iface' ? d.iface.trim() : null,
    comment: d.comment, priority: Number.isFinite(priority) ? priority : d.priority, enabled: d.enabled,
  };
}

/**
 * RuleForm adds or edits one rule. It shows the nft rules the collector will generate
 * while you type (the same builder the collector uses), and the server's field errors.
 */
export function RuleForm({ rule, knownApps, fixedApp, onDone }: { rule?: RuleView; knownApps: string[]; fixedApp?: string; onDone?: () => void }) {
  const router = useRouter();
  const [d, setD] = useState<Draft>(rule ? fromView(rule) : { ...EMPTY, app: fixedApp ?? '' });
  const [fields, setFields] = useState<Record<string, string[]>>({});
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const preview = useMemo(() => previewRule(toInput(d), { ruleId: rule?.id }), [d, rule?.id]);
  const set = (k: keyof Draft) => (e: { target: { value: string } }) => setD({ ...d, [k]: e.target.value });
  const err = (k: string) => fields[k]?.map((m) => <span key={m} className="field-error">{m}</span>);

  async function save(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    const res = rule ? await callRulesApi<RuleView>(`/api/rules/${rule.id}`, 'PATCH', toInput(d)) : await callRulesApi<RuleView>('/api/rules', 'POST', toInput(d));
    setBusy(false);
    if (!res.ok) {
      setFields(res.fields);
      setMessage({ ok: false, text: Object.keys(res.fields).some((k) => k !== 'body') ? 'Please fix the highlighted fields.' : res.error });
      return;
    }
    setFields({});
    setMessage({ ok: true, text: rule ? `Rule ${rule.id} saved; the collector applies it within seconds.` : `Rule ${res.value.id} added; the collector applies it within seconds.` });
    if (!rule) setD({ ...EMPTY, app: fixedApp ?? '' });
    router.refresh();
    onDone?.();
  }

  const id = rule ? `rule-${rule.id}` : 'new-rule';
  return (
    <form className={styles.form} onSubmit={save} data-testid={`${id}-form`} noValidate>
      <div className={styles.row}>
        <label>
          App
          <input name="app" value={d.app} onChange={set('app')} list={`${id}-apps`} placeholder="nginx.service, app:firefox or *" size={28} readOnly={Boolean(fixedApp)} required />
          <datalist id={`${id}-apps`}>
            <option value="*">All other apps</option>
            {knownApps.map((k) => <option key={k} value={k} />)}
          </datalist>
          {err('app')}
        </label>
        <label>
          Direction
          <select name="direction" value={d.direction} onChange={set('direction')}>
            <option value="out">out (connections it opens)</option>
            <option value="in">in (connections to it)</option>
            <option value="both">both</option>
          </select>
          {err('direction')}
        </label>
        <label>
          Action
          <select name="action" value={d.action} onChange={set('action')}>
            <option value="allow">allow</option>
            <option value="drop">deny (drop)</option>
            <option value="reject">reject</option>
            <option value="count">count only</option>
          </select>
          {err('action')}
        </label>
        <label>
          Protocol
          <select name="protocol" value={d.protocol} onChange={set('protocol')}>
            <option value="any">any</option>
            <option value="tcp">TCP</option>
            <option value="udp">UDP</option>
            <option value="icmp">ICMP</option>
          </select>
          {err('protocol')}
        </label>
      </div>
      <div className={styles.row}>
        <label>
          Remote addresses (IPv4/IPv6, CIDR, comma-separated)
          <input name="remote" value={d.remote} onChange={set('remote')} placeholder="anywhere" size={30} />
          {err('remote')}
        </label>
        <label>
          Local port(s)
          <input name="localPort" value={d.localPort} onChange={set('localPort')} placeholder="any" size={12} />
          {err('localPort')}
        </label>
        <label>
          Remote port(s)
          <input name="remotePort" value={d.remotePort} onChange={set('remotePort')} placeholder="any" size={12} />
          {err('remotePort')}
        </label>
      </div>
      <div className={styles.row}>
        <label>
          Network
          <select name="network" value={d.network} onChange={set('network')}>
            <option value="any">any network</option>
            <option value="metered">metered networks</option>
            <option value="mobile">mobile data</option>
            <option value="iface">one interface…</option>
          </select>
          {err('network')}
        </label>
        {d.network === 'iface' && (
          <label>
            Interface
            <input name="iface" value={d.iface} onChange={set('iface')} placeholder="wlan0" size={10} />
            {err('iface')}
          </label>
        )}
        <label>
          Priority (lower first)
          <input name="priority" value={d.priority} onChange={set('priority')} inputMode="numeric" size={5} />
          {err('priority')}
        </label>
        <label>
          Comment
          <input name="comment" value={d.comment} onChange={set('comment')} maxLength={220} size={28} />
          {err('comment')}
        </label>
        <label>
          <span>
            <input type="checkbox" name="enabled" checked={d.enabled} onChange={(e) => setD({ ...d, enabled: e.target.checked })} /> enabled
          </span>
        </label>
      </div>
      <details open>
        <summary className="small muted">nftables rules this becomes</summary>
        <pre className={styles.preview} data-testid={`${id}-preview`}>{preview.ok ? preview.lines.join('\n') : `Not valid yet: ${preview.error}`}</pre>
      </details>
      <div className={styles.row}>
        <button type="submit" className="button" disabled={busy}>{busy ? 'Saving…' : rule ? 'Save rule' : 'Add rule'}</button>
        {onDone && <button type="button" onClick={onDone}>Cancel</button>}
        {message && <span className={message.ok ? 'saved' : 'field-error'} role="status">{message.text}</span>}
      </div>
    </form>
  );
}
