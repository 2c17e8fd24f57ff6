/** One pipeline stage: its name, how many leads it holds, and their cards (a drop target). */
import { useDroppable } from '@dnd-kit/core';
import LeadCard from './LeadCard.jsx';
import { formatValue } from '../lib/format.js';

export default function Column({ stage, leads, onOpen }) {
  const { setNodeRef, isOver } = useDroppable({ id: stage });
  const total = leads.reduce((sum, lead) => sum + (Number(lead.value) || 0), 0);
  const headingId = `stage-${stage.replace(/[^A-Za-z0-9]+/g, '-')}`;
  return (
    <section
      ref={setNodeRef}
      className={isOver ? 'column over' : 'column'}
      aria-labelledby={headingId}
      data-stage={stage}
    >
      <header className="column-header">
        <h2 id={headingId} className="column-title">
          {stage}
        </h2>
        <span className="column-count" aria-label={`${leads.length} leads`}>
          {leads.length}
        </span>
      </header>
      {total > 0 && <div className="column-total">{formatValue(total)}</div>}
      <ul className="column-cards">
        {leads.map((lead) => (
          <LeadCard key={lead.id} lead={lead} onOpen={onOpen} />
        ))}
        {!leads.length && <li className="column-empty">No leads</li>}
      </ul>
    </section>
  );
}
