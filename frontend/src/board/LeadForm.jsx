/**
 * The fields of a lead, for adding one or editing one. `onSubmit(fields)` gets only what the
 * person set (for an edit: only the changed fields); its `ApiError` is shown above the buttons.
 */
import { useEffect, useId, useRef, useState } from 'react';

const EMPTY = { name: '', company: '', email: '', phone: '', status: '', value: '', notes: '' };

function initial(lead, stages) {
  if (!lead) return { ...EMPTY, status: stages[0] || '' };
  const fields = {};
  for (const key of Object.keys(EMPTY)) {
    const value = lead[key];
    fields[key] = value === null || value === undefined ? '' : String(value);
  }
  return fields;
}

/** The API body for the form's values: blanks become null, value becomes a number. */
export function toPayload(values) {
  const body = {};
  for (const [key, raw] of Object.entries(values)) {
    const text = raw.trim();
    if (key === 'value') body.value = text === '' ? null : Number(text);
    else body[key] = text === '' && key !== 'name' ? null : text;
  }
  return body;
}

export default function LeadForm({ lead, stages, onSubmit, onCancel, submitLabel, children }) {
  const [values, setValues] = useState(() => initial(lead, stages));
  const [error, setError] = useState(null);
  const [saving, setSaving] = useState(false);
  const id = useId();
  const original = toPayload(initial(lead, stages));
  const shownLead = useRef(lead);

  // A newer version of the lead arrived (e.g. after a 409): take its values, except for the
  // fields the person has edited.
  useEffect(() => {
    const before = shownLead.current;
    shownLead.current = lead;
    if (!lead || !before || before === lead) return;
    const old = initial(before, stages);
    const fresh = initial(lead, stages);
    setValues((current) =>
      Object.fromEntries(
        Object.keys(fresh).map((key) => [key, current[key] !== old[key] ? current[key] : fresh[key]]),
      ),
    );
  }, [lead, stages]);

  const set = (key) => (event) => setValues((v) => ({ ...v, [key]: event.target.value }));

  const submit = async (event) => {
    event.preventDefault();
    const payload = toPayload(values);
    if (!payload.name) {
      setError('A lead needs a name.');
      return;
    }
    if (payload.value !== null && !(Number.isFinite(payload.value) && payload.value >= 0)) {
      setError('Value must be a positive number.');
      return;
    }
    let body = payload;
    if (lead) {
      body = Object.fromEntries(
        Object.entries(payload).filter(([key, value]) => value !== original[key]),
      );
      if (!Object.keys(body).length) {
        onCancel();
        return;
      }
    } else {
      body = Object.fromEntries(Object.entries(payload).filter(([, value]) => value !== null));
    }
    setSaving(true);
    setError(null);
    try {
      await onSubmit(body);
    } catch (err) {
      setError(err.message || 'The lead could not be saved.');
      setSaving(false);
    }
  };

  const field = (key, label, props = {}) => (
    <div className="field">
      <label htmlFor={`${id}-${key}`}>{label}</label>
      <input id={`${id}-${key}`} value={values[key]} onChange={set(key)} {...props} />
    </div>
  );

  return (
    <form className="lead-form" onSubmit={submit} noValidate>
      {field('name', 'Name', { required: true, autoComplete: 'off', 'data-autofocus': true })}
      {field('company', 'Company', { autoComplete: 'off' })}
      {field('email', 'Email', { type: 'email', autoComplete: 'off' })}
      {field('phone', 'Phone', { type: 'tel', autoComplete: 'off' })}
      <div className="field-row">
        <div className="field">
          <label htmlFor={`${id}-status`}>Stage</label>
          <select id={`${id}-status`} value={values.status} onChange={set('status')}>
            {stages.map((stage) => (
              <option key={stage} value={stage}>
                {stage}
              </option>
            ))}
          </select>
        </div>
        {field('value', 'Value ($)', { type: 'number', min: 0, step: 'any', inputMode: 'decimal' })}
      </div>
      <div className="field">
        <label htmlFor={`${id}-notes`}>Notes</label>
        <textarea id={`${id}-notes`} rows={3} value={values.notes} onChange={set('notes')} />
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={saving}>
          {saving ? 'Saving…' : submitLabel}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
        {children}
      </div>
    </form>
  );
}
