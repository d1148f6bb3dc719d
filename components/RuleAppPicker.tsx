'use client';
import { useEffect, useId, useMemo, useState } from 'react';
import type { KnownApp } from '../lib/rules/view';
import { OTHER_APPS, OTHER_APPS_LABEL } from '../lib/rules/vocabulary';
import styles from './Rules.module.css';

const MAX_OPTIONS = 30;
const ALL_OTHERS: KnownApp = { key: OTHER_APPS, name: OTHER_APPS_LABEL, kind: 'other' };

const nameOf = (key: string, apps: readonly KnownApp[]) => (key === OTHER_APPS ? OTHER_APPS_LABEL : apps.find((a) => a.key === key)?.name ?? key);

/** matching lists the apps whose name or key contains the query, all other apps (*) first. */
function matching(query: string, apps: readonly KnownApp[]): KnownApp[] {
  const q = query.trim().toLowerCase();
  const hit = (a: KnownApp) => q === '' || a.name.toLowerCase().includes(q) || a.key.toLowerCase().includes(q);
  return [ALL_OTHERS, ...apps].filter(hit).slice(0, MAX_OPTIONS);
}

/** keyFor turns what is typed into an app key: a seen app's exact name or key, else the text itself (the server checks it). */
function keyFor(text: string, apps: readonly KnownApp[]): string {
  const t = text.trim();
  const exact = [ALL_OTHERS, ...apps].find((a) => a.name.toLowerCase() === t.toLowerCase() || a.key === t);
  return exact ? exact.key : t;
}

/**
 * RuleAppPicker chooses the app a rule or setting is for from the apps appnet has seen,
 * searched by name or key as you type (an ARIA combobox with a list box); a key of an app
 * not seen yet (app:fetcher) can still be typed. The chosen key is submitted as `app`.
 */
export function RuleAppPicker({ value, knownApps, fixed, error, onChange }: { value: string; knownApps: readonly KnownApp[]; fixed?: boolean; error?: React.ReactNode; onChange: (key: string) => void }) {
  const id = useId();
  const [text, setText] = useState(value ? nameOf(value, knownApps) : '');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const options = useMemo(() => matching(text, knownApps), [text, knownApps]);
  // A form that starts over (after a rule was added) clears its value: show that.
  useEffect(() => {
    if (keyFor(text, knownApps) !== value) setText(value ? nameOf(value, knownApps) : '');
    // Only a change of the value from outside matters; typing keeps text and value in step.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value]);

  if (fixed) {
    return (
      <div className={styles.field}>
        <span>App</span>
        <strong className={styles.fixedApp}>{nameOf(value, knownApps)}</strong>
        <input type="hidden" name="app" value={value} />
      </div>
    );
  }
  const choose = (a: KnownApp) => {
    setText(a.name);
    setOpen(false);
    onChange(a.key);
  };
  const type = (t: string) => {
    setText(t);
    setOpen(true);
    setActive(0);
    onChange(keyFor(t, knownApps));
  };
  const onKey = (e: React.KeyboardEvent) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      setOpen(true);
      setActive((i) => (options.length ? (i + (e.key === 'ArrowDown' ? 1 : options.length - 1)) % options.length : 0));
    } else if (e.key === 'Enter' && open && options[active]) {
      e.preventDefault();
      choose(options[active]);
    } else if (e.key === 'Escape') setOpen(false);
  };
  const listId = `${id}-list`;
  return (
    <div className={styles.field}>
      <label htmlFor={`${id}-input`}>App</label>
      <div className={styles.picker}>
        <input
          id={`${id}-input`}
          role="combobox"
          aria-expanded={open && options.length > 0}
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={open && options[active] ? `${id}-opt-${active}` : undefined}
          autoComplete="off"
          value={text}
          placeholder="Search the apps appnet has seen"
          size={28}
          onChange={(e) => type(e.target.value)}
          onFocus={() => setOpen(true)}
          onBlur={() => setOpen(false)}
          onKeyDown={onKey}
        />
        {open && options.length > 0 && (
          <ul role="listbox" id={listId} aria-label="Apps appnet has seen" className={styles.options}>
            {options.map((a, i) => (
              <li
                key={a.key}
                id={`${id}-opt-${i}`}
                role="option"
                aria-selected={i === active}
                className={i === active ? styles.activeOption : undefined}
                onMouseDown={(e) => {
                  e.preventDefault();
                  choose(a);
                }}
              >
                {a.name} <span className="muted small">{a.key}</span>
              </li>
            ))}
          </ul>
        )}
      </div>
      <input type="hidden" name="app" value={value} />
      {value && <span className="small muted" data-testid="app-key">{value}</span>}
      {error}
    </div>
  );
}
