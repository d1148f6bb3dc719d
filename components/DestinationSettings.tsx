'use client';
import { useActionState, useState } from 'react';

type State = { ok: boolean; message: string | null };
type Action = (s: State, f: FormData) => Promise<State>;

/**
 * DestinationSettings is the "Destination history" panel: the collector's real state (`text`),
 * the switch "Record destinations" (the saved wish, which the collector applies at its next
 * poll) and clearing the history, asked for a second time in the page before anything is sent.
 */
export function DestinationSettings({ wish, recording, text, save, clear }: { wish: boolean; recording: boolean | null; text: string; save: Action; clear: Action }) {
  const [saved, submitSave, saving] = useActionState(save, { ok: false, message: null });
  const [cleared, submitClear, clearing] = useActionState(clear, { ok: false, message: null });
  const [confirming, setConfirming] = useState(false);
  return (
    <section className="panel" aria-labelledby="dest-history-title" data-testid="destination-settings">
      <h2 id="dest-history-title">Destination history</h2>
      <p className="small" data-testid="destinations-state" data-recording={recording === null ? 'unknown' : recording ? '1' : '0'}>{text}</p>
      <form className="netform" action={submitSave} data-testid="destinations-switch">
        <label className="check">
          <input type="checkbox" role="switch" name="record" defaultChecked={wish} /> Record destinations
        </label>
        <p className="muted small">
          The hosts, addresses and ports each app talks to, shown on its page. Off: nothing new is recorded; what was recorded stays until it is cleared.
        </p>
        <div>
          <button type="submit" disabled={saving}>{saving ? 'Saving…' : 'Save'}</button>{' '}
          {saved.message && <span className={saved.ok ? 'saved' : 'field-error'} role="status">{saved.message}</span>}
        </div>
      </form>
      <form
        className="netform"
        data-testid="destinations-clear"
        action={(f: FormData) => {
          setConfirming(false);
          submitClear(f);
        }}
      >
        {confirming ? (
          <div role="group" aria-labelledby="dest-clear-question">
            <p id="dest-clear-question" className="small">Delete all recorded destinations and learned host names? This cannot be undone; the apps’ usage stays.</p>
            <input type="hidden" name="confirm" value="yes" />
            <button type="submit" className="danger" disabled={clearing}>Delete destination history</button>{' '}
            <button type="button" className="secondary" onClick={() => setConfirming(false)} autoFocus>Cancel</button>
          </div>
        ) : (
          <div>
            <button type="button" className="secondary" onClick={() => setConfirming(true)} disabled={clearing}>{clearing ? 'Clearing…' : 'Clear destination history…'}</button>{' '}
            {cleared.message && <span className={cleared.ok ? 'saved' : 'field-error'} role="status">{cleared.message}</span>}
          </div>
        )}
      </form>
    </section>
  );
}
