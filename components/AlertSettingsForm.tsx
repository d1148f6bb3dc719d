'use client';
import { useActionState } from 'react';
import type { AlertKind, AlertSettings } from '../lib/alerts';

type State = { ok: boolean; message: string | null };

/** AlertSettingsForm turns each kind of alert on or off through a server action (the collector stores it). */
export function AlertSettingsForm({ settings, labels, action }: { settings: AlertSettings; labels: Record<AlertKind, string>; action: (s: State, f: FormData) => Promise<State> }) {
  const [state, submit, pending] = useActionState(action, { ok: false, message: null });
  return (
    <form className="netform" action={submit} data-testid="alert-settings">
      <fieldset>
        <legend>Record and notify</legend>
        {(Object.keys(labels) as AlertKind[]).map((k) => (
          <label key={k} className="check">
            <input type="checkbox" name={k} defaultChecked={settings[k]} /> {labels[k]}
          </label>
        ))}
      </fieldset>
      <button type="submit" disabled={pending}>{pending ? 'Saving…' : 'Save'}</button>{' '}
      {state.message && <span className={state.ok ? 'saved' : 'field-error'} role="status">{state.message}</span>}
    </form>
  );
}
