/**
 * The Kanban board: one column per pipeline stage (counts and value sums from the server,
 * leads loaded a page at a time), a search box, "New lead", drag and drop between columns and
 * a side panel to edit or delete a lead. Changes from anywhere arrive live (`useBoard`); the
 * changed card is highlighted, and an edit panel open on a lead someone else just changed says
 * so. A short toast after a drag or a save offers Undo (`POST /api/leads/undo/`).
 *
 * Drag and drop (dnd-kit) is loaded after the first paint with a dynamic import, so it is not
 * part of the initial JavaScript; until it arrives the same columns render without it.
 */
import { Suspense, lazy, useCallback, useEffect, useRef, useState } from 'react';
import Column from './Column.jsx';
import LeadCard from './LeadCard.jsx';
import { useBoard } from './useBoard.js';
import { columnCount, columnValue } from './columns.js';
import { ApiError, api } from '../lib/api.js';
import './Board.css';

const DndBoard = lazy(() => import('./DndBoard.jsx'));
// The edit panel is needed only on a click: its own chunk, fetched once the board is idle.
const loadPanel = () => import('./LeadPanel.jsx');
const LeadPanel = lazy(loadPanel);
const TOAST_MS = 8000;

/** The columns without drag and drop (first paint, and while dnd-kit loads). */
function PlainBoard({ stages, columnProps, cardProps }) {
  const renderCard = (lead) => <LeadCard key={lead.id} {...cardProps(lead)} />;
  return (
    <div className="board" aria-label="Pipeline">
      {stages.map((stage) => (
        <Column key={stage} {...columnProps(stage)} renderCard={renderCard} />
      ))}
    </div>
  );
}

export default function Board() {
  const [editing, setEditing] = useState(null); // a lead, or 'new'
  const [conflict, setConflict] = useState(null); // a change someone made to the lead being edited
  const [toast, setToast] = useState(null); // {text, canUndo}
  const editingRef = useRef(null);
  const saving = useRef(false);
  const toastTimer = useRef(null);

  useEffect(() => {
    editingRef.current = editing;
  }, [editing]);

  const onChange = useCallback((change) => {
    const open = editingRef.current;
    if (!open || open === 'new' || change.lead_id !== open.id || saving.current) return;
    if (change.after && typeof open.version === 'number' && change.after.version <= open.version) return;
    setConflict(change);
  }, []);

  const board = useBoard({ onChange });
  const { stages, columns, summary, query, setQuery, notice, setNotice, highlighted } = board;
  const searching = Boolean(query.trim());

  const showToast = useCallback((next) => {
    clearTimeout(toastTimer.current);
    setToast(next);
    if (next) toastTimer.current = setTimeout(() => setToast(null), TOAST_MS);
  }, []);
  useEffect(() => () => clearTimeout(toastTimer.current), []);
  useEffect(() => {
    const timer = setTimeout(loadPanel, 0);
    return () => clearTimeout(timer);
  }, []);

  const undo = async () => {
    showToast({ text: 'Undoing…', canUndo: false });
    try {
      const answer = await api.undo();
      showToast({ text: answer.reply || 'Undone.', canUndo: false });
    } catch (err) {
      showToast({ text: `Undo failed: ${err.message}`, canUndo: false });
    }
  };

  const moveLead = async (lead, status) => {
    if (await board.moveLead(lead, status)) showToast({ text: `Moved '${lead.name}' to ${status}.`, canUndo: true });
  };

  const openLead = (lead) => {
    setConflict(null);
    setEditing(lead);
  };

  const closePanel = () => {
    setConflict(null);
    setEditing(null);
  };

  const updateLead = async (lead, fields) => {
    saving.current = true;
    try {
      const updated = await board.updateLead(lead, fields);
      showToast({ text: `Saved '${updated.name}'.`, canUndo: true });
      return updated;
    } catch (err) {
      if (err.status === 409) {
        try {
          setEditing(await api.lead(lead.id));
          setConflict(null);
        } catch {
          /* the reload below the message is enough */
        }
        throw new ApiError(
          'Someone else changed this lead meanwhile; the latest version is loaded. Check the fields and save again.',
          { status: 409, type: 'conflict' },
        );
      }
      throw err;
    } finally {
      saving.current = false;
    }
  };

  const deleteLead = async (lead) => {
    await board.deleteLead(lead);
    showToast({ text: `Deleted '${lead.name}'.`, canUndo: true });
  };

  const columnProps = (stage) => {
    const column = columns[stage] || { leads: [], total: null, loading: false, error: null };
    const entry = summary?.byStage[stage];
    return {
      stage,
      column,
      count: columnCount(column, entry, searching),
      value: columnValue(column, entry, searching),
      onLoadMore: board.loadMore,
    };
  };
  const cardProps = (lead) => ({ lead, onOpen: openLead, changed: highlighted.has(lead.id) });

  const total = stages.reduce((sum, stage) => sum + columnProps(stage).count, 0);
  let summaryText = '';
  if (board.loading) summaryText = 'Loading…';
  else if (!board.loadError) summaryText = `${total.toLocaleString('en-US')} ${total === 1 ? 'lead' : 'leads'}`;

  const boardProps = { stages, columnProps, cardProps };

  return (
    <main className="board-page">
      <div className="board-toolbar">
        <label className="search">
          <span className="visually-hidden">Search leads</span>
          <input
            type="search"
            placeholder="Search name, company or email…"
            value={query}
            onChange={(event) => setQuery(event.target.value)}
          />
        </label>
        <span className="board-summary" aria-live="polite">
          {summaryText}
        </span>
        <button type="button" className="btn btn-primary" onClick={() => openLead('new')}>
          New lead
        </button>
      </div>

      {board.loadError && (
        <div className="banner banner-error" role="alert">
          {board.loadError}{' '}
          <button type="button" className="link-button" onClick={board.refresh}>
            Retry
          </button>
        </div>
      )}
      {notice && (
        <div className="banner banner-warning" role="alert">
          <span>{notice}</span>
          <button type="button" className="link-button" aria-label="Dismiss message" onClick={() => setNotice(null)}>
            Dismiss
          </button>
        </div>
      )}

      <Suspense fallback={<PlainBoard {...boardProps} />}>
        <DndBoard {...boardProps} onMove={moveLead} />
      </Suspense>

      {editing && (
        <Suspense fallback={null}>
        <LeadPanel
          lead={editing === 'new' ? null : editing}
          stages={stages}
          conflict={conflict}
          historyKey={editing !== 'new' && board.lastChange?.leadId === editing.id ? board.lastChange.seq : null}
          onLoadLatest={(lead) => {
            setConflict(null);
            setEditing(lead);
          }}
          onClose={closePanel}
          onCreate={board.createLead}
          onUpdate={updateLead}
          onDelete={deleteLead}
        />
        </Suspense>
      )}

      {toast && (
        <div className="toast" role="status">
          <span>{toast.text}</span>
          {toast.canUndo && (
            <button type="button" className="link-button" onClick={undo}>
              Undo
            </button>
          )}
        </div>
      )}
    </main>
  );
}
