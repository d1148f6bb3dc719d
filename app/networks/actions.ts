'use server';
import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { zodFields, type FieldErrors } from '../../lib/api-error';
import { requirePageAuth } from '../_data/auth';
import { saveNetworkSettings } from '../_data/networks';

export interface NetworkFormState {
  ok: boolean;
  message: string | null;
  fields: FieldErrors;
}

const schema = z.object({
  id: z.coerce.number().int().positive(),
  metered: z.enum(['auto', 'yes', 'no'], { message: 'choose automatic, yes or no' }),
  cycleStartDay: z.coerce.number({ message: 'a day of the month' }).int('a whole day').min(1, 'from 1').max(28, 'up to 28 (every month has it)'),
  planGiB: z
    .string()
    .trim()
    .refine((s) => s === '' || (/^\d+(\.\d{1,3})?$/.test(s) && Number(s) > 0 && Number(s) <= 1_000_000), {
      message: 'leave empty for no plan, or a positive number of GiB such as 10 or 2.5',
    }),
});

/** updateNetwork saves a network's metered flag, billing-cycle start day and data plan from the Networks page. */
export async function updateNetwork(_prev: NetworkFormState, form: FormData): Promise<NetworkFormState> {
  await requirePageAuth();
  const parsed = schema.safeParse(Object.fromEntries(form));
  if (!parsed.success) return { ok: false, message: 'Please fix the highlighted fields.', fields: zodFields(parsed.error) };
  const v = parsed.data;
  const saved = await saveNetworkSettings({
    id: v.id,
    meteredUser: v.metered === 'auto' ? null : v.metered === 'yes',
    cycleStartDay: v.cycleStartDay,
    planBytes: v.planGiB === '' ? null : Math.round(Number(v.planGiB) * 1024 ** 3),
  });
  if (!saved.ok) return { ok: false, message: saved.message, fields: saved.fields };
  revalidatePath('/networks');
  revalidatePath('/');
  return { ok: true, message: 'Saved.', fields: {} };
}
