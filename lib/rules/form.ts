/**
 * A rule and an app's settings as a form holds them: every field as text (switches as
 * booleans), derived from the schema's keys, and the way back from submitted form data
 * to schema input. The form components and the server actions share these.
 */
import type { FieldErrors } from '../api-error';
import { appPolicyFields, RULE_KEYS, ruleFields, type AppPolicy, type Rule, type RuleKey } from './model';
import { bytesText } from './values';

/** RuleDraft is a rule as its form edits it; `network` may also be 'iface' (one named interface). */
export type RuleDraft = { [K in RuleKey]: Rule[K] extends boolean ? boolean : string };

type PolicyKey = keyof typeof appPolicyFields;
export type PolicyDraft = { [K in PolicyKey]: string };
const POLICY_KEYS = Object.keys(appPolicyFields) as PolicyKey[];

const asText = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

/** defaults reads each field's default from the schema ('' where a field has none). */
function defaults(): Rule {
  return Object.fromEntries(RULE_KEYS.map((k) => {
    const r = ruleFields[k].safeParse(undefined);
    return [k, r.success ? r.data : null];
  })) as Rule;
}

/** ruleDraft turns a stored rule (or the schema's defaults, for a new rule of `app`) into form values. */
export function ruleDraft(rule: Rule | null, opts: { app?: string } = {}): RuleDraft {
  const r = rule ?? { ...defaults(), app: opts.app ?? '', direction: 'out', action: 'allow' };
  const out = Object.fromEntries(RULE_KEYS.map((k) => [k, typeof r[k] === 'boolean' ? r[k] : asText(r[k])])) as RuleDraft;
  if (r.iface) out.network = 'iface';
  return out;
}

/** draftInput turns form values into schema input: the interface only when 'one interface' is chosen. */
export function draftInput(d: RuleDraft): Record<RuleKey, string | boolean | null> {
  const out: Record<string, string | boolean | null> = { ...d };
  out.network = d.network === 'iface' ? 'any' : d.network;
  out.iface = d.network === 'iface' ? d.iface : null;
  return out as Record<RuleKey, string | boolean | null>;
}

/** FormFields is what a server action receives: FormData, or anything that answers get(). */
export interface FormFields {
  get(name: string): unknown;
}

const BOOLEAN_KEYS = new Set(RULE_KEYS.filter((k) => typeof defaults()[k] === 'boolean'));

/** formRuleDraft reads a submitted rule form: text fields as sent, a checkbox is on when present. */
export function formRuleDraft(form: FormFields): RuleDraft {
  const text = (k: string) => {
    const v = form.get(k);
    return typeof v === 'string' ? v : '';
  };
  return Object.fromEntries(RULE_KEYS.map((k) => [k, BOOLEAN_KEYS.has(k) ? form.get(k) !== null && form.get(k) !== undefined : text(k)])) as RuleDraft;
}

/** policyDraft turns stored settings (or none, for `app`) into form values; the cap reads as typed (50 MiB). */
export function policyDraft(p: AppPolicy | null, opts: { app?: string } = {}): PolicyDraft {
  if (!p) return { app: opts.app ?? '', defaultIn: 'inherit', defaultOut: 'inherit', quotaBytes: '', quotaNetwork: 'metered', quotaCycleDay: '1' };
  return { app: p.app, defaultIn: p.defaultIn, defaultOut: p.defaultOut, quotaBytes: p.quotaBytes === null ? '' : bytesText(p.quotaBytes), quotaNetwork: p.quotaNetwork, quotaCycleDay: String(p.quotaCycleDay) };
}

/** formPolicyDraft reads a submitted settings form. */
export function formPolicyDraft(form: FormFields): PolicyDraft {
  return Object.fromEntries(POLICY_KEYS.map((k) => {
    const v = form.get(k);
    return [k, typeof v === 'string' ? v : ''];
  })) as PolicyDraft;
}

/** What a rules form shows after a server action: a sentence, field errors, and what was saved. */
export interface RulesFormState {
  ok: boolean;
  message: string | null;
  fields: FieldErrors;
  /** The rule id or app key just saved or removed. */
  saved?: string;
  /** When (ms): a new value on every success, so a form can tell two saves apart. */
  at?: number;
}

export type RulesAction = (prev: RulesFormState, form: FormData) => Promise<RulesFormState>;

/** The server actions the rules components submit to (app/rules/actions.ts), handed down by the page. */
export interface RulesActions {
  saveRule: RulesAction;
  changeRule: RulesAction;
  saveAppSettings: RulesAction;
  removeAppSettings: RulesAction;
}

export const NO_FORM_STATE: RulesFormState = { ok: false, message: null, fields: {} };
