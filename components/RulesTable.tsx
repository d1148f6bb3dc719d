'use client';
import { Fragment, useActionState, useState } from 'react';
import { formatBytes } from '../lib/format';
import { NO_FORM_STATE, type RulesActions } from '../lib/rules/form';
import type { KnownApp, RuleView } from '../lib/rules/view';
import { ACTION_LABELS, DIRECTION_LABELS, NETWORK_LABELS, PROTOCOL_LABELS } from '../lib/rules/vocabulary';
import { RuleForm } from './RuleForm';
import styles from './Rules.module.css';

function matchText(r: RuleView): string {
  const parts = [
    r.protocol !== 'any' ? PROTOCOL_LABELS[r.protocol] : '',
    r.remote ? `remote ${r.remote}` : '',
    r.localPort ? `local port ${r.localPort}` : '',
    r.remotePort ? `remote port ${r.remotePort}` : '',
    r.iface ? `on ${r.iface}` : r.network !== 'any' ? `on ${NETWORK_LABELS[r.network]}` : '',
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'all traffic';
}

/** StatusBadge says whether the kernel holds the rule: applied, pending, error (with the reason) or disabled. */
export function StatusBadge({ status, error }: { status: string; error: string | null }) {
  return (
    <span className={`${styles.status} ${styles[status] ?? ''}`} title={error ?? undefined} data-testid="rule-status">
      {status}
    </span>
  );
}

/** RuleActions are a rule's Disable/Enable and Delete buttons, each submitting the changeRule action. */
function RuleActions({ r, submit, pending, onEdit }: { r: RuleView; submit: (f: FormData) => void; pending: boolean; onEdit: () => void }) {
  const confirmDelete = (e: React.MouseEvent) => {
    if (!window.confirm(`Delete rule ${r.id} (${ACTION_LABELS[r.action]}, ${r.direction}, for ${r.appName})? This cannot be undone.`)) e.preventDefault();
  };
  return (
    <form action={submit} className={styles.actions}>
      <input type="hidden" name="id" value={r.id} />
      <button type="submit" name="intent" value={r.enabled ? 'disable' : 'enable'} className="secondary" disabled={pending}>{r.enabled ? 'Disable' : 'Enable'}</button>
      <button type="button" className="secondary" onClick={onEdit}>Edit</button>
      <button type="submit" name="intent" value="delete" className={styles.danger} onClick={confirmDelete} disabled={pending}>Delete</button>
    </form>
  );
}

/** RulesTable lists rules in precedence order with enable/disable, edit and delete. */
export function RulesTable({ rules, knownApps, actions }: { rules: RuleView[]; knownApps: KnownApp[]; actions: RulesActions }) {
  const [editing, setEditing] = useState<number | null>(null);
  const [state, submit, pending] = useActionState(actions.changeRule, NO_FORM_STATE);
  if (rules.length === 0) return <p className="muted">No rules yet.</p>;
  return (
    <div className="tablewrap">
      {state.message && <p className={state.ok ? 'saved' : 'field-error'} role="status">{state.message}</p>}
      <table data-testid="rules-table">
        <thead>
          <tr>
            <th>#</th><th>App</th><th>Direction</th><th>Action</th><th>Matches</th><th className="num">Prio</th><th>Status</th><th className="num">Hits</th><th />
          </tr>
        </thead>
        <tbody>
          {rules.map((r) => (
            <Fragment key={r.id}>
              <tr className={r.enabled ? undefined : styles.off} data-testid={`rule-${r.id}`}>
                <td>{r.id}</td>
                <td title={r.app}>{r.appName}</td>
                <td title={DIRECTION_LABELS[r.direction]}>{r.direction}</td>
                <td>{ACTION_LABELS[r.action] ?? r.action}</td>
                <td>
                  {matchText(r)}
                  {r.comment && <div className="small muted">{r.comment}</div>}
                  {r.lastError && <div className="small field-error">{r.lastError}</div>}
                </td>
                <td className="num">{r.priority}</td>
                <td><StatusBadge status={r.status} error={r.lastError} /></td>
                <td className="num">{r.hitPackets ? `${r.hitPackets} · ${formatBytes(r.hitBytes)}` : '–'}</td>
                <td><RuleActions r={r} submit={submit} pending={pending} onEdit={() => setEditing(editing === r.id ? null : r.id)} /></td>
              </tr>
              {editing === r.id && (
                <tr>
                  <td colSpan={9}>
                    <RuleForm rule={r} knownApps={knownApps} action={actions.saveRule} onDone={() => setEditing(null)} />
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
        </tbody>
      </table>
    </div>
  );
}
