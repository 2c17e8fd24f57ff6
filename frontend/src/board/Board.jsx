/**
 * The Kanban board: one column per pipeline stage, a search box, "New lead", drag and drop
 * between columns (dnd-kit; mouse, touch or keyboard: Space picks a card up, arrows move it
 * between columns, Space drops it) and a side panel to edit or delete a lead.
 */
import { useMemo, useState } from 'react';
import {
  DndContext,
  DragOverlay,
  KeyboardSensor,
  PointerSensor,
  closestCenter,
  pointerWithin,
  useSensor,
  useSensors,
} from '@dnd-kit/core';
import Column from './Column.jsx';
import LeadPanel from './LeadPanel.jsx';
import { CardBody } from './LeadCard.jsx';
import { useBoard } from './useBoard.js';
import { ApiError, api } from '../lib/api.js';
import './Board.css';

/** Keyboard dragging jumps from column to column (Left/Right) instead of 25px steps. */
export function columnCoordinates(event, { context, currentCoordinates }) {
  const direction = { ArrowRight: 1, ArrowLeft: -1 }[event.code];
  if (!direction) return undefined;
  event.preventDefault();
  const centers = [...context.droppableRects.values()]
    .map((rect) => rect.left + rect.width / 2)
    .sort((a, b) => a - b);
  // `currentCoordinates` is the dragged card's top-left corner.
  const width = context.collisionRect?.width || 0;
  const x = currentCoordinates.x + width / 2;
  const target =
    direction > 0 ? centers.find((c) => c > x + 1) : [...centers].reverse().find((c) => c < x - 1);
  if (target === undefined) return currentCoordinates;
  return { x: target - width / 2, y: currentCoordinates.y };
}

/** Pointer inside a column wins; otherwise the closest column (keyboard dragging). */
function collisions(args) {
  const within = pointerWithin(args);
  return within.length ? within : closestCenter(args);
}

export default function Board() {
  const board = useBoard();
  const { stages, leads, query, setQuery, notice, setNotice } = board;
  const [dragged, setDragged] = useState(null);
  const [editing, setEditing] = useState(null); // a lead, or 'new'

  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 6 } }),
    useSensor(KeyboardSensor, {
      coordinateGetter: columnCoordinates,
      keyboardCodes: { start: ['Space'], cancel: ['Escape'], end: ['Space', 'Enter'] },
    }),
  );

  const byStage = useMemo(() => {
    const groups = Object.fromEntries(stages.map((stage) => [stage, []]));
    for (const lead of leads) groups[lead.status]?.push(lead);
    return groups;
  }, [stages, leads]);

  const announcements = {
    onDragStart: ({ active }) => `Picked up ${active.data.current?.lead?.name}.`,
    onDragOver: ({ active, over }) =>
      over ? `${active.data.current?.lead?.name} is over ${over.id}.` : undefined,
    onDragEnd: ({ active, over }) =>
      over
        ? `${active.data.current?.lead?.name} was dropped in ${over.id}.`
        : `${active.data.current?.lead?.name} was dropped.`,
    onDragCancel: ({ active }) => `Moving ${active.data.current?.lead?.name} was cancelled.`,
  };

  const onDragEnd = ({ active, over }) => {
    setDragged(null);
    const lead = active.data.current?.lead;
    if (lead && over && over.id !== lead.status) board.moveLead(lead, String(over.id));
  };

  const updateLead = async (lead, fields) => {
    try {
      return await board.updateLead(lead, fields);
    } catch (err) {
      if (err.status === 409) {
        try {
          setEditing(await api.lead(lead.id));
        } catch {
          /* the reload below the message is enough */
        }
        throw new ApiError(
          'Someone else changed this lead meanwhile; the latest version is loaded. Check the fields and save again.',
          { status: 409, type: 'conflict' },
        );
      }
      throw err;
    }
  };

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
          {board.loading ? 'Loading…' : `${leads.length} ${leads.length === 1 ? 'lead' : 'leads'}`}
        </span>
        <button type="button" className="btn btn-primary" onClick={() => setEditing('new')}>
          New lead
        </button>
      </div>

      {board.loadError && (
        <div className="banner banner-error" role="alert">
          The board could not be loaded: {board.loadError}{' '}
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

      <DndContext
        sensors={sensors}
        collisionDetection={collisions}
        accessibility={{ announcements }}
        onDragStart={({ active }) => setDragged(active.data.current?.lead || null)}
        onDragCancel={() => setDragged(null)}
        onDragEnd={onDragEnd}
      >
        <div className="board" aria-label="Pipeline">
          {stages.map((stage) => (
            <Column key={stage} stage={stage} leads={byStage[stage] || []} onOpen={setEditing} />
          ))}
        </div>
        <DragOverlay dropAnimation={null}>
          {dragged ? (
            <div className="card card-overlay">
              <CardBody lead={dragged} />
            </div>
          ) : null}
        </DragOverlay>
      </DndContext>

      {editing && (
        <LeadPanel
          lead={editing === 'new' ? null : editing}
          stages={stages}
          onClose={() => setEditing(null)}
          onCreate={board.createLead}
          onUpdate={updateLead}
          onDelete={board.deleteLead}
        />
      )}
    </main>
  );
}
