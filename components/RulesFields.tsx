import type { ReactNode } from 'react';

type Change = (e: { target: { value: string } }) => void;

/** SelectField is one labelled select of a rules form: its values, each shown with its label, and its field errors. */
export function SelectField({ label, name, value, onChange, values, labels, error, extra }: {
  label: string;
  name: string;
  value: string;
  onChange: Change;
  values: readonly string[];
  labels: Readonly<Record<string, string>>;
  error?: ReactNode;
  /** Options after the field's own values (e.g. "one interface…"). */
  extra?: ReactNode;
}) {
  return (
    <label>
      {label}
      <select name={name} value={value} onChange={onChange}>
        {values.map((v) => <option key={v} value={v}>{labels[v] ?? v}</option>)}
        {extra}
      </select>
      {error}
    </label>
  );
}

/** TextField is one labelled text input of a rules form with its field errors. */
export function TextField({ label, name, value, onChange, error, placeholder, size, inputMode }: {
  label: string;
  name: string;
  value: string;
  onChange: Change;
  error?: ReactNode;
  placeholder?: string;
  size?: number;
  inputMode?: 'numeric' | 'text';
}) {
  return (
    <label>
      {label}
      <input name={name} value={value} onChange={onChange} placeholder={placeholder} size={size} inputMode={inputMode} />
      {error}
    </label>
  );
}
