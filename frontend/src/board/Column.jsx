/**
 * One pipeline stage: its name, how many leads it holds and their value (from the server's
 * summary), the cards loaded so far and "Load more" while the column has more. A drop target
 * once drag and drop has loaded (`dropRef`, `isOver` come from `DndBoard`).
 */
import { formatValue } from '../lib/format.js';

export default function Column({ stage, column, count, value, renderCard, onLoadMore, dropRef, isOver = false }) {
  const { leads } = column;
  const headingId = `stage-${stage.replace(/[^A-Za-z0-9]+/g, '-')}`;
  const more = column.total !== null && column.total > leads.length;
  return (
    <section
      ref={dropRef}
      className={isOver ? 'column over' : 'column'}
      aria-labelledby={headingId}
      data-stage={stage}
    >
      <header className="column-header">
        <h2 id={headingId} className="column-title">
          {stage}
        </h2>
        <span className="column-count" aria-label={`${count} ${count === 1 ? 'lead' : 'leads'}`}>
          {count}
        </span>
      </header>
      {value > 0 && <div className="column-total">{formatValue(value)}</div>}
      <ul className="column-cards">
        {leads.map(renderCard)}
        {!leads.length && !more && <li className="column-empty">{column.error ? 'Not loaded' : 'No leads'}</li>}
      </ul>
      {more && (
        <button
          type="button"
          className="btn column-more"
          disabled={column.loading}
          onClick={() => onLoadMore(stage)}
          aria-label={`Load more leads in ${stage} (${leads.length} of ${column.total} shown)`}
        >
          {column.loading ? 'Loading…' : `Load more (${leads.length} of ${column.total})`}
        </button>
      )}
    </section>
  );
}
