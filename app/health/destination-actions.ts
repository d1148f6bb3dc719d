'use server';
import { revalidatePath } from 'next/cache';
import { requirePageAuth } from '../_data/auth';
import { clearDestinationHistory, saveDestinationsSetting } from '../_data/dest-settings';

export interface DestinationsFormState {
  ok: boolean;
  message: string | null;
}

/** saveDestinationsSwitch turns destination history on (the box ticked) or off, through the collector. */
export async function saveDestinationsSwitch(_prev: DestinationsFormState, form: FormData): Promise<DestinationsFormState> {
  await requirePageAuth();
  const saved = await saveDestinationsSetting(form.get('record') === 'on');
  if (!saved.ok) return { ok: false, message: saved.message };
  revalidatePath('/health');
  return { ok: true, message: `Saved: the collector ${saved.value.on ? 'records destinations' : 'stops recording destinations'} from its next poll.` };
}

/** clearDestinations deletes all destination history and learned host names, through the collector, once confirmed. */
export async function clearDestinations(_prev: DestinationsFormState, form: FormData): Promise<DestinationsFormState> {
  await requirePageAuth();
  if (form.get('confirm') !== 'yes') return { ok: false, message: 'Nothing was deleted: confirm with "Delete destination history".' };
  const done = await clearDestinationHistory();
  if (!done.ok) return { ok: false, message: done.message };
  revalidatePath('/health');
  return { ok: true, message: `Deleted ${done.value.deleted} destination rows and the learned host names.` };
}
