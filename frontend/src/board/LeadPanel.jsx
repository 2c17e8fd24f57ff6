/**
 * A side panel (dialog) to add a lead or to edit or delete one. Esc or Cancel closes it;
 * focus goes to the first field on open and back where it was on close.
 */
import { useEffect, useId, useRef, useState } from 'react';
import LeadForm from './LeadForm.jsx';

export default function LeadPanel({ lead, stages, onCreate, onUpdate, onDelete, onClose }) {
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
            <p>Delete {lead.name}? This cannot be undone from the board.</p>
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
      </aside>
    </div>
  );
}
