'use client';
import { useActionState } from 'react';

export interface NetworkFormValues {
  id: number;
  metered: 'auto' | 'yes' | 'no';
  meteredAutoLabel: string;
  cycleStartDay: number;
  planGiB: string;
}

type State = { ok: boolean; message: string | null; fields: Record<string, string[]> };

/** NetworkForm edits one network's metered flag, billing-cycle start day and monthly plan through a server action. */
export function NetworkForm({ values, action }: { values: NetworkFormValues; action: (s: State, f: FormData) => Promise<State> }) {
  const [state, submit, pending] = useActionState(action, { ok: false, message: null, fields: {} });
  const err = (k: string) => state.fields[k]?.map((m) => <span key={m} className="field-error">{m}</span>);
  return (
    <form className="netform" action={submit} data-testid={`network-form-${values.id}`}>
      <input type="hidden" name="id" value={values.id} />
      <div className="row">
        <label>
          Treat as mobile data (metered)
          <select name="metered" defaultValue={values.metered}>
            <option value="auto">Automatic ({values.meteredAutoLabel})</option>
            <option value="yes">Yes, metered</option>
            <option value="no">No, not metered</option>
          </select>
          {err('metered')}
        </label>
      </div>
      <div className="row">
        <label>
          Billing cycle starts on day
          <input name="cycleStartDay" type="number" min={1} max={28} defaultValue={values.cycleStartDay} required />
          {err('cycleStartDay')}
        </label>
        <label>
          Monthly plan (GiB)
          <input name="planGiB" inputMode="decimal" placeholder="no plan" defaultValue={values.planGiB} size={8} />
          {err('planGiB')}
        </label>
        <button type="submit" disabled={pending}>{pending ? 'Saving…' : 'Save'}</button>
      </div>
      {state.message && <span className={state.ok ? 'saved' : 'field-error'} role="status">{state.message}</span>}
    </form>
  );
}
