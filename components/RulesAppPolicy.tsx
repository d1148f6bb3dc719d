'use client';
import { useState } from 'react';
import { useRouter } from 'next/navigation';
import { formatBytes } from '../lib/format';
import type { AppPolicyView } from '../lib/rules/view';
import { StatusBadge } from './RulesTable';
import { callRulesApi } from './rules-api';
import styles from './Rules.module.css';

const POLICY_LABEL: Record<string, string> = { inherit: 'as all other apps', allow: 'allow', drop: 'deny (drop)', reject: 'reject' };

/** QuotaBar shows a data cap's use this billing cycle. */
export function QuotaBar({ used, limit, network }: { used: number; limit: number; network: string }) {
  const over = used >= limit;
  return (
    <div className={styles.quota} data-testid="quota">
      <progress max={limit} value={Math.min(used, limit)} aria-label="Data cap used" />
      <span className={over ? 'small field-error' : 'small muted'}>
        {formatBytes(used)} of {formatBytes(limit)} on {network} networks{over ? ' — blocked until the next cycle' : ''}
      </span>
    </div>
  );
}

/** RulesAppPolicy edits one app's default per direction and its data cap (or, with no app, adds settings for a new one). */
export function RulesAppPolicy({ policy, knownApps, fixedApp }: { policy?: AppPolicyView; knownApps: string[]; fixedApp?: string }) {
  const router = useRouter();
  const [app, setApp] = useState(policy?.app ?? fixedApp ?? '');
  const [defaultIn, setIn] = useState(policy?.defaultIn ?? 'inherit');
  const [defaultOut, setOut] = useState(policy?.defaultOut ?? 'inherit');
  const [quota, setQuota] = useState(policy?.quotaBytes ? String(policy.quotaBytes) : '');
  const [quotaNetwork, setQuotaNetwork] = useState(policy?.quotaNetwork ?? 'metered');
  const [day, setDay] = useState(String(policy?.quotaCycleDay ?? 1));
  const [fields, setFields] = useState<Record<string, string[]>>({});
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const err = (k: string) => fields[k]?.map((m) => <span key={m} className="field-error">{m}</span>);
  const id = policy ? `policy-${policy.app}` : 'policy-new';

  async function save(e: React.FormEvent) {
    e.preventDefault();
    const res = await callRulesApi<AppPolicyView>('/api/rules/apps', 'PUT', {
      app: app.trim(), defaultIn, defaultOut, quotaBytes: quota.trim() || null, quotaNetwork, quotaCycleDay: Number(day),
    });
    setFields(res.ok ? {} : res.fields);
    setMessage(res.ok ? { ok: true, text: 'Saved; the collector applies it within seconds.' } : { ok: false, text: Object.keys(res.fields).some((k) => k !== 'body') ? 'Please fix the highlighted fields.' : res.error });
    if (res.ok) router.refresh();
  }

  return (
    <form className={styles.form} onSubmit={save} data-testid={`${id}-form`} noValidate>
      <div className={styles.row}>
        <label>
          App
          <input value={app} onChange={(e) => setApp(e.target.value)} list={`${id}-apps`} readOnly={Boolean(policy || fixedApp)} size={26} placeholder="app:firefox or *" />
          <datalist id={`${id}-apps`}>
            <option value="*">All other apps</option>
            {knownApps.map((k) => <option key={k} value={k} />)}
          </datalist>
          {err('app')}
        </label>
        <label>
          Inbound default
          <select value={defaultIn} onChange={(e) => setIn(e.target.value)}>
            {Object.entries(POLICY_LABEL).map(([v, l]) => <option key={v} value={v}>{l}</option>)}
          </select>
          {err('defaultIn')}
        </label>
        <label>
          Outbound default
          <select value={defaultOut} onChange={(e) => setOut(e.target.value)}>
            {Object.entries(POLICY_LABEL).map(([v, l]) => <option key={v} value={v}>{l}</option>)}
          </select>
          {err('defaultOut')}
        </label>
        <label>
          Data cap per cycle
          <input value={quota} onChange={(e) => setQuota(e.target.value)} placeholder="none, e.g. 2GiB" size={12} />
          {err('quotaBytes')}
        </label>
        <label>
          Cap counts on
          <select value={quotaNetwork} onChange={(e) => setQuotaNetwork(e.target.value)}>
            <option value="metered">metered networks</option>
            <option value="mobile">mobile data</option>
            <option value="any">every network</option>
          </select>
        </label>
        <label>
          Cycle starts on day
          <input value={day} onChange={(e) => setDay(e.target.value)} inputMode="numeric" size={3} />
          {err('quotaCycleDay')}
        </label>
        <button type="submit" className="button">Save</button>
        {policy && <StatusBadge status={policy.status} error={policy.lastError} />}
      </div>
      {policy?.quotaBytes ? <QuotaBar used={policy.quotaUsed} limit={policy.quotaBytes} network={policy.quotaNetwork} /> : null}
      {message && <span className={message.ok ? 'saved' : 'field-error'} role="status">{message.text}</span>}
    </form>
  );
}
