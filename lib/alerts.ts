/**
 * Alerts, as GlassWire and Android give them: an app used the network for the first time,
 * a metered plan reached 80 % or 100 %, an app's data cap was reached and it is now blocked.
 * The collector records them in the store (once each: per app, per network and cycle, per
 * app and cycle); the Health page and /metrics always show them, and the open dashboard
 * passes new ones to the Notification API. Each kind can be turned off: it is then not recorded.
 */
import { z } from 'zod';
import { formatBytes } from './format';

export { ALERT_KINDS, ALERT_LABELS, ALERT_TITLES, type AlertKind } from './alert-kinds';
import { ALERT_KINDS, type AlertKind } from './alert-kinds';

export type AlertSettings = Record<AlertKind, boolean>;

/**
 * LEARNING_SECONDS: apps whose first traffic comes this soon after the store's first poll are
 * what the machine already runs, not new apps (a fresh install would otherwise alert for each).
 */
export const LEARNING_SECONDS = 600;

/** alertSettingsSchema is the payload of the collector's `alerts.settings.save`: every kind on or off. */
export const alertSettingsSchema = z.strictObject(Object.fromEntries(ALERT_KINDS.map((k) => [k, z.boolean()])) as Record<AlertKind, z.ZodBoolean>);

export interface Alert {
  id: number;
  /** Unix seconds. */
  ts: number;
  kind: AlertKind;
  /** What it is about, once: the app key; net:<id>@<cycle start>; cap:<app key>@<cycle start>. */
  subject: string;
  message: string;
}

/** A new alert, before the store numbers it. */
export type NewAlert = Omit<Alert, 'id'>;

/** newAppAlert: an app's first traffic. */
export function newAppAlert(app: { key: string; name: string }, iface: string, ts: number): NewAlert {
  return { ts, kind: 'new-app', subject: app.key, message: `${app.name} used the network for the first time (on ${iface}).` };
}

/** planAlerts lists the plan alerts a network's use in its current cycle has earned (80 %, 100 %). */
export function planAlerts(n: { id: number; name: string; planBytes: number; used: number; cycleSince: number }, ts: number): NewAlert[] {
  const out: NewAlert[] = [];
  const share = n.used / n.planBytes;
  const of = `${formatBytes(n.used)} of ${formatBytes(n.planBytes)}`;
  if (share >= 0.8) out.push({ ts, kind: 'plan-80', subject: `net:${n.id}@${n.cycleSince}`, message: `${n.name}: ${of} used this billing cycle (${Math.floor(share * 100)} %).` });
  if (share >= 1) out.push({ ts, kind: 'plan-100', subject: `net:${n.id}@${n.cycleSince}`, message: `${n.name}: the plan of ${formatBytes(n.planBytes)} is used up this billing cycle (${formatBytes(n.used)}).` });
  return out;
}

/** capAlert: an app's data cap is used up in its cycle, so the kernel now drops its traffic there. */
export function capAlert(c: { app: string; name: string; limitBytes: number; usedBytes: number; network: string; cycleStart: number }, ts: number): NewAlert | null {
  if (c.usedBytes < c.limitBytes) return null;
  const where = c.network === 'any' ? 'on every network' : c.network === 'mobile' ? 'on mobile networks' : 'on metered networks';
  return { ts, kind: 'cap-blocked', subject: `cap:${c.app}@${c.cycleStart}`, message: `${c.name} reached its data cap of ${formatBytes(c.limitBytes)} ${where}; its traffic there is blocked until the next billing cycle.` };
}
