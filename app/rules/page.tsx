import { NoData } from '../../components/NoData';
import { RuleForm } from '../../components/RuleForm';
import { RulesAppPolicy } from '../../components/RulesAppPolicy';
import { RulesStatusRefresh } from '../../components/RulesStatusRefresh';
import { RulesTable } from '../../components/RulesTable';
import { formatDateTime } from '../../lib/format';
import { requirePageAuth } from '../_data/auth';
import { readStore } from '../_data/db';
import { getRulesView } from '../_data/rules';
import { RULES_ACTIONS as ACTIONS } from './action-set';

export const metadata = { title: 'Rules' };

/** Rules: every firewall rule with its applied status, per-app defaults and data caps, and how precedence works. */
export default async function RulesPage() {
  await requirePageAuth();
  const store = await readStore();
  if (store.state !== 'ok') return <NoData state={store.state} path={store.path} />;
  const view = getRulesView(store.db);
  if (!view) {
    return (
      <section className="panel empty">
        <h2>Rules need a newer database</h2>
        <p className="muted">Restart the collector once: it upgrades the store, then rules can be added here.</p>
      </section>
    );
  }
  const rows = [...view.rules, ...view.apps];
  const broken = rows.filter((r) => r.status === 'error').length;
  return (
    <>
      <RulesStatusRefresh pending={rows.some((r) => r.status === 'pending')} />
      <div className="pagehead">
        <div>
          <h1>Rules</h1>
          <p className="muted small">
            Allow, drop or count traffic per application, from the first packet. The collector applies changes within seconds.
            {view.lastApply.lastOk !== null && <> Last applied {formatDateTime(view.lastApply.lastOk)}.</>}
          </p>
          {view.lastApply.lastError && <p className="field-error small" role="alert">The last apply failed (the previous rules stay in force): {view.lastApply.lastError}</p>}
          {broken > 0 && <p className="field-error small" data-testid="rows-with-errors">{broken === 1 ? 'One rule or setting is' : `${broken} rules or settings are`} not in force: the reason is shown on each.</p>}
        </div>
      </div>
      <section className="panel">
        <h2>Rules</h2>
        <RulesTable rules={view.rules} knownApps={view.knownApps} actions={ACTIONS} />
      </section>
      <section className="panel">
        <h2>Add a rule</h2>
        <RuleForm knownApps={view.knownApps} action={ACTIONS.saveRule} />
      </section>
      <section className="panel">
        <h2>Per-app defaults and data caps</h2>
        <p className="muted small">What happens to an app’s traffic no rule matched, and how much it may use per billing cycle.</p>
        {view.apps.map((a) => <RulesAppPolicy key={a.app} policy={a} knownApps={view.knownApps} actions={ACTIONS} />)}
        <h3 className="small">Settings for another app</h3>
        <RulesAppPolicy knownApps={view.knownApps} actions={ACTIONS} />
      </section>
      <section className="panel">
        <h2>Precedence</h2>
        <ol data-testid="precedence">
          {view.precedence.map((p) => <li key={p} className="small">{p}</li>)}
        </ol>
      </section>
    </>
  );
}
