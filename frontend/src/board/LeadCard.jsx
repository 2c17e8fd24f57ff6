/** A lead on the board: name, company, value. Drag it to another column; click to edit. */
import { useDraggable } from '@dnd-kit/core';
import { formatValue } from '../lib/format.js';

export function CardBody({ lead }) {
  const value = formatValue(lead.value);
  return (
    <>
      <span className="card-name">{lead.name}</span>
      {lead.company && <span className="card-company">{lead.company}</span>}
      {value && <span className="card-value">{value}</span>}
    </>
  );
}

export default function LeadCard({ lead, onOpen }) {
  const { attributes, listeners, setNodeRef, isDragging } = useDraggable({
    id: lead.id,
    data: { lead },
  });
  const onKeyDown = (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      onOpen(lead);
      return;
    }
    listeners?.onKeyDown?.(event);
  };
  return (
    <li className="card-slot">
      <div
        ref={setNodeRef}
        className={isDragging ? 'card dragging' : 'card'}
        data-lead-id={lead.id}
        {...attributes}
        {...listeners}
        onKeyDown={onKeyDown}
        onClick={() => onOpen(lead)}
        aria-label={`${lead.name}${lead.company ? `, ${lead.company}` : ''}, ${lead.status}. Press Enter to edit, Space to move.`}
        aria-roledescription="lead card"
      >
        <CardBody lead={lead} />
      </div>
    </li>
  );
}
