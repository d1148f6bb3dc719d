'use client';
import { useActionState, useEffect, useMemo, useRef, useState } from 'react';
import { previewRule } from '../lib/nft/firewall';
import { draftInput, NO_FORM_STATE, ruleDraft, type RuleDraft, type RulesAction } from '../lib/rules/form';
import type { KnownApp, RuleView } from '../lib/rules/view';
import { ACTION_LABELS, ACTIONS, DIRECTION_LABELS, NETWORK_LABELS, NETWORKS, PROTOCOL_LABELS, PROTOCOLS } from '../lib/rules/vocabulary';
import { RuleAppPicker } from './RuleAppPicker';
import { SelectField, TextField } from './RulesFields';
import { NftPreview } from './RulesNftPreview';
import styles from './Rules.module.css';

const DIRECTION_ORDER = ['out', 'in', 'both'] as const;

/** previewText is what the preview shows: the nft lines, or (only once something is typed) why they cannot be made yet. */
function previewOf(d: RuleDraft, ruleId: number | undefined): { lines: string[] } | { note: string } {
  if (d.app.trim() === '') return { note: 'Choose an app to see the nftables rules this becomes.' };
  const p = previewRule(draftInput(d), { ruleId });
  return p.ok ? { lines: p.lines } : { note: `This rule cannot be saved as it is: ${p.error}` };
}

/**
 * RuleForm adds or edits one rule through the saveRule server action (a new one may start from
 * `initial` values, e.g. a destination of the app page). While you type it
 * shows the nft rules the collector will generate (the same builder the collector uses);
 * after saving, the server's field errors or its confirmation.
 */
export function RuleForm({ rule, knownApps, fixedApp, initial, action, onDone }: { rule?: RuleView; knownApps: KnownApp[]; fixedApp?: string; initial?: Partial<RuleDraft>; action: RulesAction; onDone?: () => void }) {
  const blank = () => ({ ...ruleDraft(rule ?? null, { app: fixedApp }), ...(rule ? {} : initial) });
  const [d, setD] = useState<RuleDraft>(blank);
  const [state, submit, pending] = useActionState(action, NO_FORM_STATE);
  const seen = useRef(state.at);
  useEffect(() => {
    if (!state.ok || state.at === seen.current) return;
    seen.current = state.at;
    if (!rule) setD(blank());
    onDone?.();
    // blank and onDone are recreated each render; only a new save matters here.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [state]);
  const preview = useMemo(() => previewOf(d, rule?.id), [d, rule?.id]);
  const set = (k: keyof RuleDraft) => (e: { target: { value: string } }) => setD({ ...d, [k]: e.target.value });
  const err = (k: string) => state.fields[k]?.map((m) => <span key={m} className="field-error">{m}</span>);
  const id = rule ? `rule-${rule.id}` : 'new-rule';
  return (
    <form className={styles.form} action={submit} data-testid={`${id}-form`} noValidate>
      {rule && <input type="hidden" name="id" value={rule.id} />}
      <div className={styles.row}>
        <RuleAppPicker value={d.app} knownApps={knownApps} fixed={Boolean(fixedApp)} onChange={(app) => setD({ ...d, app })} error={err('app')} />
        <SelectField label="Direction" name="direction" value={d.direction} onChange={set('direction')} values={DIRECTION_ORDER} labels={DIRECTION_LABELS} error={err('direction')} />
        <SelectField label="Action" name="action" value={d.action} onChange={set('action')} values={ACTIONS} labels={ACTION_LABELS} error={err('action')} />
        <SelectField label="Protocol" name="protocol" value={d.protocol} onChange={set('protocol')} values={PROTOCOLS} labels={PROTOCOL_LABELS} error={err('protocol')} />
      </div>
      <div className={styles.row}>
        <TextField label="Remote addresses (IPv4/IPv6, CIDR, comma-separated)" name="remote" value={d.remote} onChange={set('remote')} placeholder="anywhere" size={30} error={err('remote')} />
        <TextField label="Local port(s)" name="localPort" value={d.localPort} onChange={set('localPort')} placeholder="any" size={12} error={err('localPort')} />
        <TextField label="Remote port(s)" name="remotePort" value={d.remotePort} onChange={set('remotePort')} placeholder="any" size={12} error={err('remotePort')} />
      </div>
      <div className={styles.row}>
        <SelectField label="Network" name="network" value={d.network} onChange={set('network')} values={NETWORKS} labels={NETWORK_LABELS} error={err('network')} extra={<option value="iface">one interface…</option>} />
        {d.network === 'iface' && <TextField label="Interface" name="iface" value={d.iface} onChange={set('iface')} placeholder="wlan0" size={10} error={err('iface')} />}
        <TextField label="Priority (lower first)" name="priority" value={d.priority} onChange={set('priority')} inputMode="numeric" size={5} error={err('priority')} />
        <label>
          Comment
          <input name="comment" value={d.comment} onChange={set('comment')} maxLength={220} size={28} />
          {err('comment')}
        </label>
        <label className={styles.check}>
          <input type="checkbox" name="enabled" checked={d.enabled} onChange={(e) => setD({ ...d, enabled: e.target.checked })} /> enabled
        </label>
      </div>
      <NftPreview testId={`${id}-preview`} preview={preview} />
      {err('_')}
      <div className={styles.row}>
        <button type="submit" className="button" disabled={pending}>{pending ? 'Saving…' : rule ? 'Save rule' : 'Add rule'}</button>
        {onDone && <button type="button" className="secondary" onClick={onDone}>Cancel</button>}
        {state.message && <span className={state.ok ? 'saved' : 'field-error'} role="status">{state.message}</span>}
      </div>
    </form>
  );
}
