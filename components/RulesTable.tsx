'use client';
import { Fragment, useState } from 'react';
import { useRouter } from 'next/navigation';
import { formatBytes } from '../lib/format';
import type { RuleView } from '../lib/rules/view';
import { RuleForm } from './RuleForm';
import { callRulesApi } from './rules-api';
import styles from './Rules.module.css';

function matchText(r: RuleView): string {
  const parts = [
    r.protocol !== 'any' ? r.protocol.toUpperCase() : '',
    r.remote ? `remote ${r.remote}` : '',
    r.localPort ? `local port ${r.localPort}` : '',
    r.remotePort ? `remote port ${r.remotePort}` : '',
    r.iface ? `on ${r.iface}` : r.network !== 'any' ? `on ${r.network} networks` : '',
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

/** RulesTable lists rules in precedence order with enable/disable, edit and delete. */
export function RulesTable({ rules, knownApps }: { rules: RuleView[]; knownApps: string[] }) {
  const router = useRouter();
  const [editing, setEditing] = useState<number | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  async function act(r: RuleView, what: 'toggle' | 'delete') {
    if (what === 'delete' && !window.confirm(`Delete rule ${r.id} (${r.action} ${r.direction} for ${r.appName})?`)) return;
    const res = what === 'delete' ? await callRulesApi(`/api/rules/${r.id}`, 'DELETE') : await callRulesApi(`/api/rules/${r.id}`, 'PATCH', { enabled: !r.enabled });
    setProblem(res.ok ? null : res.error);
    router.refresh();
  }

  if (rules.length === 0) return <p className="muted">No rules yet.</p>;
  return (
    <div className="tablewrap">
      {problem && <p className="field-error" role="alert">{problem}</p>}
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
                <td>{r.direction}</td>
                <td>{r.action === 'drop' ? 'deny' : r.action}</td>
                <td>
                  {matchText(r)}
                  {r.comment && <div className="small muted">{r.comment}</div>}
                  {r.lastError && <div className="small field-error">{r.lastError}</div>}
                </td>
                <td className="num">{r.priority}</td>
                <td><StatusBadge status={r.status} error={r.lastError} /></td>
                <td className="num">{r.hitPackets ? `${r.hitPackets} · ${formatBytes(r.hitBytes)}` : '–'}</td>
                <td className={styles.actions}>
                  <button type="button" onClick={() => act(r, 'toggle')}>{r.enabled ? 'Disable' : 'Enable'}</button>
                  <button type="button" onClick={() => setEditing(editing === r.id ? null : r.id)}>Edit</button>
                  <button type="button" onClick={() => act(r, 'delete')}>Delete</button>
                </td>
              </tr>
              {editing === r.id && (
                <tr>
                  <td colSpan={9}>
                    <RuleForm rule={r} knownApps={knownApps} onDone={() => setEditing(null)} />
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
