import type { RuleDraft, RulesActions } from '../lib/rules/form';
import type { RulesView } from '../lib/rules/view';
import { RuleForm } from './RuleForm';
import { RulesAppPolicy } from './RulesAppPolicy';
import { RulesStatusRefresh } from './RulesStatusRefresh';
import { RulesTable } from './RulesTable';

/**
 * RulesPanel is the firewall panel for one app's page: its defaults and data cap, its
 * rules, and a form to add one. Feed it getRulesView(db, { app }) from app/_data/rules and
 * the rules' server actions; `prefill` opens the form with those values (a destination's "Rule…").
 */
export function RulesPanel({ view, app, actions, prefill }: { view: RulesView; app: string; actions: RulesActions; prefill?: Partial<RuleDraft> }) {
  const policy = view.apps.find((a) => a.app === app);
  const rules = view.rules.filter((r) => r.app === app);
  const pending = rules.some((r) => r.status === 'pending') || policy?.status === 'pending';
  return (
    <section className="panel" data-testid="rules-panel">
      <RulesStatusRefresh pending={pending} />
      <h2>Firewall</h2>
      <RulesAppPolicy key={policy ? 'saved' : 'none'} policy={policy} knownApps={view.knownApps} fixedApp={app} actions={actions} />
      <RulesTable rules={rules} knownApps={view.knownApps} actions={actions} />
      <details open={Boolean(prefill)} id="add-rule">
        <summary>Add a rule for this app</summary>
        <RuleForm key={JSON.stringify(prefill ?? null)} knownApps={view.knownApps} fixedApp={app} initial={prefill} action={actions.saveRule} />
      </details>
    </section>
  );
}
