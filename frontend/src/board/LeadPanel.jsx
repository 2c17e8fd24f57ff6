/**
 * A side panel (dialog) to add a lead or to edit or delete one. Esc or Cancel closes it;
 * focus goes to the first field on open and back where it was on close. For a lead it shows
 * the lead's recent history from the change log, and — when someone else changes the lead
 * while it is open (`conflict`, a change event) — says so at once, with a way to load theirs.
 */
import { useEffect, useId, useRef, useState } from 'react';
import LeadForm from './LeadForm.jsx';
import { api } from '../lib/api.js';
import { changeAuthor, changeSummary, describeChange } from '../lib/history.js';

const HISTORY_LIMIT = 10;

/** The lead's latest changes, newest first ("Moved to Won by demo via chat, 2 min ago"). */
function LeadHistory({ leadId, refreshKey }) {
  const [state, setState] = useState({ changes: null, error: null });
  useEffect(() => {
    const controller = new AbortController();
    api
      .changes({ leadId, limit: 200 }, controller.signal)
      .then((data) => {
        const changes = [...(data.changes || [])].sort((a, b) => b.seq - a.seq).slice(0, HISTORY_LIMIT);
        setState({ changes, error: null });
      })
      .catch((err) => {
        if (err.name !== 'AbortError') setState({ changes: null, error: err.message });
      });
    return () => controller.abort();
  }, [leadId, refreshKey]);
  const { changes, error } = state;
  return (
    <section className="lead-history" aria-label="History">
      <h3>History</h3>
      {error && <p className="muted">The history could not be loaded.</p>}
      {!error && !changes && <p className="muted">Loading…</p>}
      {changes && !changes.length && <p className="muted">No changes recorded yet.</p>}
      {changes && changes.length > 0 && (
        <ul>
          {changes.map((change) => (
            <li key={change.seq}>{describeChange(change)}</li>
          ))}
        </ul>
      )}
    </section>
  );
}

function ConflictNotice({ change, onLoadLatest }) {
  const who = changeAuthor(change);
  if (change.op === 'delete' || !change.after) {
    return (
      <p className="panel-notice" role="alert">
        {who} just deleted this lead. Saving will fail; close the panel.
      </p>
    );
  }
  return (
    <p className="panel-notice" role="alert">
      {who} just changed this lead ({changeSummary(change)}). Saving now would be refused.{' '}
      <button type="button" className="link-button" onClick={() => onLoadLatest(change.after)}>
        Load their version
      </button>
    </p>
  );
}

export default function LeadPanel({
  lead,
  stages,
  conflict = null,
  historyKey = null,
  onLoadLatest = () => {},
  onCreate,
  onUpdate,
  onDelete,
  onClose,
}) {
  const titleId = useId();
  const panelRef = useRef(null);
  const [confirming, setConfirming] = useState(false);
  const [deleteError, setDeleteError] = useState(null);

  useEffect(() => {
    const previous = document.activeElement;
    panelRef.current?.querySelector('[data-autofocus]')?.focus();
    return () => {
      if (previous && document.contains(previous)) previous.focus();
    };
  }, []);

  const onKeyDown = (event) => {
    if (event.key === 'Escape') {
      event.stopPropagation();
      onClose();
    }
  };

  const remove = async () => {
    try {
      await onDelete(lead);
      onClose();
    } catch (err) {
      setDeleteError(err.message);
      setConfirming(false);
    }
  };

  return (
    <div className="panel-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <aside
        ref={panelRef}
        className="lead-panel"
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        onKeyDown={onKeyDown}
      >
        <h2 id={titleId} className="panel-title">
          {lead ? `Edit ${lead.name}` : 'New lead'}
        </h2>
        {lead && conflict && <ConflictNotice change={conflict} onLoadLatest={onLoadLatest} />}
        <LeadForm
          key={lead ? lead.id : "new"}
          lead={lead}
          stages={stages}
          submitLabel={lead ? 'Save' : 'Add lead'}
          onCancel={onClose}
          onSubmit={async (fields) => {
            if (lead) await onUpdate(lead, fields);
            else await onCreate(fields);
            onClose();
          }}
        >
          {lead && !confirming && (
            <button type="button" className="btn btn-danger push-right" onClick={() => setConfirming(true)}>
              Delete
            </button>
          )}
        </LeadForm>
        {lead && confirming && (
          <div className="confirm-delete" role="alertdialog" aria-label="Confirm delete">
            <p>Delete {lead.name}?</p>
            <button type="button" className="btn btn-danger" onClick={remove}>
              Yes, delete
            </button>
            <button type="button" className="btn" onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </div>
        )}
        {deleteError && (
          <p className="form-error" role="alert">
            {deleteError}
          </p>
        )}
        {lead && <LeadHistory leadId={lead.id} refreshKey={historyKey} />}
      </aside>
    </div>
  );
}
