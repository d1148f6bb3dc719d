import type { Alert, AlertKind, AlertSettings } from '../lib/alerts';
import { formatDateTime } from '../lib/format';
import { AlertSettingsForm } from './AlertSettingsForm';
import { NotificationToggle } from './AlertNotifier';

type SettingsAction = (s: { ok: boolean; message: string | null }, f: FormData) => Promise<{ ok: boolean; message: string | null }>;

/** AlertsPanel lists the newest alerts, the switch for notifications and which kinds are recorded. */
export function AlertsPanel({ alerts, settings, labels, titles, action }: { alerts: Alert[]; settings: AlertSettings; labels: Record<AlertKind, string>; titles: Record<AlertKind, string>; action: SettingsAction }) {
  return (
    <section className="panel" aria-labelledby="alerts-title">
      <h2 id="alerts-title">Alerts</h2>
      <NotificationToggle />
      {alerts.length === 0 ? (
        <p className="muted">No alerts yet.</p>
      ) : (
        <table data-testid="alerts">
          <thead><tr><th className="hide-narrow">When</th><th>Alert</th><th>What happened</th></tr></thead>
          <tbody>
            {alerts.map((a) => (
              <tr key={a.id} data-kind={a.kind}><td className="hide-narrow small">{formatDateTime(a.ts)}</td><td>{titles[a.kind]}</td><td>{a.message}</td></tr>
            ))}
          </tbody>
        </table>
      )}
      <AlertSettingsForm settings={settings} labels={labels} action={action} />
    </section>
  );
}
