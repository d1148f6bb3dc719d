'use server';
/**
 * The dashboard's rule edits, as server actions (STYLE.md: validated with the rule schema,
 * field errors back to the form, then the pages revalidated). They write through
 * app/_data/rules.ts, the web side's one writer; scripts use the REST API (/api/rules),
 * which calls the same functions.
 */
import { revalidatePath } from 'next/cache';
import { draftInput, formPolicyDraft, formRuleDraft, type RulesFormState } from '../../lib/rules/form';
import { requirePageAuth } from '../_data/auth';
import { createRule, deleteAppPolicy, deleteRule, patchRule, saveAppPolicy, type WriteResult } from '../_data/rules';

const APPLIES = 'the collector applies it within seconds';

function failed(r: Extract<WriteResult<unknown>, { ok: false }>): RulesFormState {
  const named = Object.keys(r.fields).some((k) => k !== '_');
  return { ok: false, message: named ? 'Please fix the highlighted fields.' : r.message, fields: r.fields };
}

function saved(message: string, key: string): RulesFormState {
  revalidatePath('/rules');
  revalidatePath('/apps/[id]', 'page');
  return { ok: true, message, fields: {}, saved: key, at: Date.now() };
}

const text = (form: FormData, name: string): string => {
  const v = form.get(name);
  return typeof v === 'string' ? v.trim() : '';
};

/** readId reads the hidden id field of an edit; null for a new rule, NaN when it is not a whole number. */
function readId(form: FormData): number | null {
  const raw = text(form, 'id');
  if (raw === '') return null;
  return /^-?\d{1,15}$/.test(raw) ? Number(raw) : Number.NaN;
}

/** saveRule adds a rule, or saves the edited rule named by the hidden `id` field. */
export async function saveRule(_prev: RulesFormState, form: FormData): Promise<RulesFormState> {
  await requirePageAuth();
  const id = readId(form);
  if (Number.isNaN(id)) return { ok: false, message: 'That rule id is not a whole number.', fields: {} };
  const input = draftInput(formRuleDraft(form));
  const r = id === null ? await createRule(input) : await patchRule(id, input);
  if (!r.ok) return failed(r);
  return saved(`Rule ${r.value.id} ${id === null ? 'added' : 'saved'}; ${APPLIES}.`, String(r.value.id));
}

/** changeRule switches a rule on or off, or deletes it (the submitting button's `intent`). */
export async function changeRule(_prev: RulesFormState, form: FormData): Promise<RulesFormState> {
  await requirePageAuth();
  const id = readId(form);
  const intent = text(form, 'intent');
  if (id === null || Number.isNaN(id) || !['enable', 'disable', 'delete'].includes(intent)) return { ok: false, message: 'Unknown rule change.', fields: {} };
  const r = intent === 'delete' ? await deleteRule(id) : await patchRule(id, { enabled: intent === 'enable' });
  if (!r.ok) return failed(r);
  return saved(intent === 'delete' ? `Rule ${id} deleted.` : `Rule ${id} ${intent}d; ${APPLIES}.`, `${intent}:${id}`);
}

/** saveAppSettings stores an app's defaults and data cap. */
export async function saveAppSettings(_prev: RulesFormState, form: FormData): Promise<RulesFormState> {
  await requirePageAuth();
  const r = await saveAppPolicy(formPolicyDraft(form));
  if (!r.ok) return failed(r);
  return saved(`Settings of ${r.value.appName} saved; ${APPLIES}.`, r.value.app);
}

/** removeAppSettings removes an app's defaults and data cap (its rules stay). */
export async function removeAppSettings(_prev: RulesFormState, form: FormData): Promise<RulesFormState> {
  await requirePageAuth();
  const app = text(form, 'app');
  if (!app) return { ok: false, message: 'Which app? The form named none.', fields: {} };
  const r = await deleteAppPolicy(app);
  if (!r.ok) return failed(r);
  const kept = r.value.rulesKept;
  return saved(`Settings of ${app} removed${kept ? `; its ${kept === 1 ? 'rule stays' : `${kept} rules stay`}` : ''}.`, `removed:${app}`);
}
