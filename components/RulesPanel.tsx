import type { RulesView } from '../lib/rules/view';
import { RuleForm } from './RuleForm';
import { RulesAppPolicy } from './RulesAppPolicy';
import { RulesTable } from './RulesTable';

/**
 * RulesPanel is the firewall panel for one app's page: its defaults and data cap, its
 * rules, and a form to add one. Feed it getRulesView(db, { app }) from app/_data/rules.
 */
export function RulesPanel({ view, app }: { view: RulesView; app: string }) {
  const policy = view.apps.find((a) => a.app === app);
  return (
    <section className="panel" data-testid="rules-panel">
      <h2>Firewall</h2>
      <RulesAppPolicy policy={policy} knownApps={view.knownApps} fixedApp={app} />
      <RulesTable rules={view.rules.filter((r) => r.app === app)} knownApps={view.knownApps} />
      <details>
        <summary>Add a rule for this app</summary>
        <RuleForm knownApps={view.knownApps} fixedApp={app} />
      </details>
    </section>
  );
}
