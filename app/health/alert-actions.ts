'use server';
import { revalidatePath } from 'next/cache';
import { requirePageAuth } from '../_data/auth';
import { saveAlertSettings } from '../_data/alerts';
import { ALERT_KINDS, type AlertSettings } from '../../lib/alerts';

export interface AlertSettingsState {
  ok: boolean;
  message: string | null;
}

/** updateAlertSettings turns each kind of alert on (its box ticked) or off, through the collector. */
export async function updateAlertSettings(_prev: AlertSettingsState, form: FormData): Promise<AlertSettingsState> {
  await requirePageAuth();
  const settings = Object.fromEntries(ALERT_KINDS.map((k) => [k, form.get(k) === 'on'])) as AlertSettings;
  const saved = await saveAlertSettings(settings);
  if (!saved.ok) return { ok: false, message: saved.message };
  revalidatePath('/health');
  return { ok: true, message: 'Saved.' };
}
