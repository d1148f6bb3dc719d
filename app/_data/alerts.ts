/** Alerts for the Health page, the notifications feed (GET /api/alerts) and the settings form. */
import { connection } from 'next/server';
import type { Db } from '../../db/open';
import { getAlerts, getAlertSettings, getLastAlertId } from '../../db/queries/alerts';
import type { Alert, AlertSettings } from '../../lib/alerts';
import type { ChannelResult } from '../../lib/channel';
import { apiError, apiJson, storeError } from './api';
import { requireApiAuth } from './auth';
import { callCollector } from './channel';
import { openStore } from './db';

export interface AlertsView {
  alerts: Alert[];
  settings: AlertSettings;
}

/** getAlertsView reads the 50 newest alerts and which kinds are on. */
export function getAlertsView(db: Db): AlertsView {
  return { alerts: getAlerts(db, { limit: 50 }), settings: getAlertSettings(db) };
}

/** saveAlertSettings has the collector store which kinds of alerts are recorded. */
export function saveAlertSettings(settings: AlertSettings): Promise<ChannelResult<AlertSettings>> {
  return callCollector('alerts.settings.save', settings);
}

/**
 * alertsFeedResponse answers GET /api/alerts[?after=ID]: the alerts after an id, oldest first
 * (what the open dashboard has not notified yet), and the newest id. Without `after`, only the
 * newest id: a dashboard opened now does not notify what happened before.
 */
export async function alertsFeedResponse(req: Request): Promise<Response> {
  await connection();
  const denied = await requireApiAuth(req);
  if (denied) return denied;
  const raw = new URL(req.url).searchParams.get('after');
  if (raw !== null && !/^\d{1,15}$/.test(raw)) return apiError(400, 'bad_request', `'${raw.slice(0, 20)}' is not an alert id.`, { after: ['must be a whole number'] });
  const store = openStore();
  if (store.state !== 'ok') return storeError(store) as Response;
  const lastId = getLastAlertId(store.db);
  return apiJson({ lastId, alerts: raw === null ? [] : getAlerts(store.db, { afterId: Number(raw), limit: 20 }) });
}
