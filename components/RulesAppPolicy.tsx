'use client';
import { useActionState, useEffect, useMemo, useRef, useState } from 'react';
import { formatBytes } from '../lib/format';
import { previewAppPolicy } from '../lib/nft/firewall';
import { NO_FORM_STATE, policyDraft, type PolicyDraft, type RulesActions } from '../lib/rules/form';
import { bytesText } from '../lib/rules/values';
import type { AppPolicyView, KnownApp } from '../lib/rules/view';
import { NETWORK_LABELS, NETWORKS, OTHER_APPS_LABEL, POLICIES, POLICY_LABELS, type NetworkClass } from '../lib/rules/vocabulary';
import { RuleAppPicker } from './RuleAppPicker';
import { SelectField, TextField } from './RulesFields';
import { NftPreview } from './RulesNftPreview';
import { StatusBadge } from './RulesTable';
import styles from './Rules.module.css';

/** QuotaBar shows a data cap's use this billing cycle; the cap reads as it was typed (50 MiB). */
export function QuotaBar({ used, limit, network }: { used: number; limit: number; network: NetworkClass }) {
  const over = used >= limit;
  return (
    <div className={styles.quota} data-testid="quota">
      <progress max={limit} value={Math.min(used, limit)} aria-label="Data cap used" />
      <span className={over ? 'small field-error' : 'small muted'}>
        {formatBytes(used)} of {bytesText(limit)} on {NETWORK_LABELS[network]} this cycle{over ? ' — blocked until the next cycle' : ''}
      </span>
    </div>
  );
}

function previewOf(d: PolicyDraft, appId: number | undefined): { lines: string[] } | { note: string } {
  if (d.app.trim() === '') return { note: 'Choose an app to see the nftables rules its settings become.' };
  const p = previewAppPolicy(d, { appId });
  if (!p.ok) return { note: `These settings cannot be saved as they are: ${p.error}` };
  return p.lines.length ? { lines: p.lines } : { note: `Nothing of its own: the app follows the rules of ${OTHER_APPS_LABEL}.` };
}

/** RemoveSettings is the destructive button that removes an app's defaults and cap (its rules stay). */
function RemoveSettings({ policy, action }: { policy: AppPolicyView; action: RulesActions['removeAppSettings'] }) {
  const [state, submit, pending] = useActionState(action, NO_FORM_STATE);
  const confirmRemove = (e: React.MouseEvent) => {
    if (!window.confirm(`Remove the defaults and data cap of ${policy.appName}? Its rules stay.`)) e.preventDefault();
  };
  return (
    <form action={submit} className={styles.inline}>
      <input type="hidden" name="app" value={policy.app} />
      <button type="submit" className={styles.danger} onClick={confirmRemove} disabled={pending}>Remove settings</button>
      {state.message && !state.ok && <span className="field-error" role="status">{state.message}</span>}
    </form>
  );
}

/**
 * RulesAppPolicy edits one app's default per direction and its data cap through the
 * saveAppSettings server action (or, with no app, adds settings for another one), with the
 * same nft preview and confirmation as a rule.
 */
export function RulesAppPolicy({ policy, knownApps, fixedApp, actions }: { policy?: AppPolicyView; knownApps: KnownApp[]; fixedApp?: string; actions: RulesActions }) {
  const [d, setD] = useState<PolicyDraft>(() => policyDraft(policy ?? null, { app: fixedApp }));
  const [state, submit, pending] = useActionState(actions.saveAppSettings, NO_FORM_STATE);
  const seen = useRef(state.at);
  useEffect(() => {
    if (!state.ok || state.at === seen.current) return;
    seen.current = state.at;
    // The form for another app starts over; an app's own form keeps what was saved.
    if (!policy && !fixedApp) setD(policyDraft(null));
  }, [state, policy, fixedApp]);
  const preview = useMemo(() => previewOf(d, policy?.id), [d, policy?.id]);
  const set = (k: keyof PolicyDraft) => (e: { target: { value: string } }) => setD({ ...d, [k]: e.target.value });
  const err = (k: string) => state.fields[k]?.map((m) => <span key={m} className="field-error">{m}</span>);
  const id = policy ? `policy-${policy.app}` : fixedApp ? `policy-${fixedApp}` : 'policy-new';
  return (
    <div className={styles.policy} data-testid={`${id}-settings`}>
      <form className={styles.form} action={submit} data-testid={`${id}-form`} noValidate>
        <div className={styles.row}>
          <RuleAppPicker value={d.app} knownApps={knownApps} fixed={Boolean(policy || fixedApp)} onChange={(app) => setD({ ...d, app })} error={err('app')} />
          <SelectField label="Inbound default" name="defaultIn" value={d.defaultIn} onChange={set('defaultIn')} values={POLICIES} labels={POLICY_LABELS} error={err('defaultIn')} />
          <SelectField label="Outbound default" name="defaultOut" value={d.defaultOut} onChange={set('defaultOut')} values={POLICIES} labels={POLICY_LABELS} error={err('defaultOut')} />
          <TextField label="Data cap per cycle" name="quotaBytes" value={d.quotaBytes} onChange={set('quotaBytes')} placeholder="none, e.g. 2GiB" size={12} error={err('quotaBytes')} />
          <SelectField label="Cap counts on" name="quotaNetwork" value={d.quotaNetwork} onChange={set('quotaNetwork')} values={NETWORKS} labels={NETWORK_LABELS} error={err('quotaNetwork')} />
          <TextField label="Cycle starts on day" name="quotaCycleDay" value={d.quotaCycleDay} onChange={set('quotaCycleDay')} inputMode="numeric" size={3} error={err('quotaCycleDay')} />
          {policy && <StatusBadge status={policy.status} error={policy.lastError} />}
        </div>
        {policy?.lastError && <p className="small field-error">{policy.lastError}</p>}
        {policy?.quotaBytes ? <QuotaBar used={policy.quotaUsed} limit={policy.quotaBytes} network={policy.quotaNetwork} /> : null}
        <NftPreview testId={`${id}-preview`} preview={preview} />
        {err('_')}
        <div className={styles.row}>
          <button type="submit" className="button" disabled={pending}>{pending ? 'Saving…' : 'Save settings'}</button>
          {state.message && <span className={state.ok ? 'saved' : 'field-error'} role="status">{state.message}</span>}
        </div>
      </form>
      {policy && <RemoveSettings policy={policy} action={actions.removeAppSettings} />}
    </div>
  );
}
