/** The plain, serialisable shapes the rules page, the app panel and the API show. */
import type { AppPolicy, Rule } from './model';
import type { ApplyStatus } from './status';

/** What the collector reported about a stored row: whether the kernel holds it and why not. */
export interface AppliedState {
  status: ApplyStatus;
  lastError: string | null;
}

/** A stored rule as shown: its canonical fields, its id, readable app name, status and hit counter. */
export type RuleView = Rule & AppliedState & { id: number; appName: string; hitPackets: number; hitBytes: number };

/** An app's stored settings as shown, with its data cap's use this billing cycle. */
export type AppPolicyView = AppPolicy & AppliedState & { id: number; appName: string; quotaUsed: number };

/** An app the collector has seen, for the app picker. */
export interface KnownApp {
  key: string;
  name: string;
  kind: string;
}

export interface RulesView {
  rules: RuleView[];
  /** Apps with settings of their own (a default or a cap), or whose settings row has an error. */
  apps: AppPolicyView[];
  precedence: readonly string[];
  lastApply: { lastTry: number | null; lastOk: number | null; lastError: string | null };
  knownApps: KnownApp[];
}
