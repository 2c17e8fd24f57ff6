/**
 * A lead on the board: name, company, value. Click (or Enter) to edit; once drag and drop has
 * loaded (`drag` from `DndBoard`: dnd-kit's ref, attributes and listeners), drag it to another
 * column or press Space to move it with the arrow keys.
 */
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

export default function LeadCard({ lead, onOpen, changed = false, drag = null }) {
  const { setNodeRef, attributes, listeners, isDragging } = drag || {};
  const onKeyDown = (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      onOpen(lead);
      return;
    }
    listeners?.onKeyDown?.(event);
  };
  const classes = ['card'];
  if (isDragging) classes.push('dragging');
  if (changed) classes.push('changed');
  return (
    <li className="card-slot">
      <div
        ref={setNodeRef}
        className={classes.join(' ')}
        data-lead-id={lead.id}
        role="button"
        tabIndex={0}
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
