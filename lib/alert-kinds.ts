/**
 * The kinds of alerts and their words, apart from lib/alerts.ts so the browser's bundle (the
 * notifier in every page) does not carry zod, whose eval probe the pages' CSP reports.
 */

export const ALERT_KINDS = ['new-app', 'plan-80', 'plan-100', 'cap-blocked'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** ALERT_LABELS name each kind where a user turns it on or off. */
export const ALERT_LABELS: Record<AlertKind, string> = {
  'new-app': 'An app used the network for the first time',
  'plan-80': 'A metered plan reached 80 %',
  'plan-100': 'A metered plan reached 100 %',
  'cap-blocked': 'An app reached its data cap and is blocked',
};

/** ALERT_TITLES are the notifications' titles. */
export const ALERT_TITLES: Record<AlertKind, string> = {
  'new-app': 'New app on the network',
  'plan-80': 'Data plan 80 % used',
  'plan-100': 'Data plan used up',
  'cap-blocked': 'Data cap reached: app blocked',
};
