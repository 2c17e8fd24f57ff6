/**
 * Pure helpers for the board's state: one entry per stage, `{leads, total, loading, error}`,
 * where `leads` are the pages loaded so far and `total` the server's count for that column
 * (null until known). Changes from the event stream and from this tab go through `withLead`
 * and `withoutLead`, so a lead is counted once however many times its change arrives.
 */

export const EMPTY_COLUMN = { leads: [], total: null, loading: false, error: null };

function countOf(column) {
  return column.total ?? column.leads.length;
}

function hasUnloaded(column) {
  return column.total !== null && column.total > column.leads.length;
}

function findStage(columns, id) {
  for (const [stage, column] of Object.entries(columns)) {
    if (column.leads.some((lead) => lead.id === id)) return stage;
  }
  return null;
}

/**
 * `columns` with `lead` in its stage's column (at the top when it arrives from elsewhere),
 * counts kept right. `beforeStatus` is where the lead was when this tab had not loaded it
 * (a lead beyond the loaded pages), so that column's count still drops by one. A column that
 * already shows `maxShown` cards only counts a lead arriving from elsewhere.
 */
export function withLead(columns, lead, beforeStatus = null, maxShown = Infinity) {
  const found = findStage(columns, lead.id);
  const next = { ...columns };
  if (found && found === lead.status) {
    const column = columns[found];
    next[found] = { ...column, leads: column.leads.map((l) => (l.id === lead.id ? lead : l)) };
    return next;
  }
  if (found) {
    const column = columns[found];
    next[found] = {
      ...column,
      leads: column.leads.filter((l) => l.id !== lead.id),
      total: Math.max(0, countOf(column) - 1),
    };
  } else if (beforeStatus && beforeStatus === lead.status) {
    return columns; // changed, but not on a loaded page of its (unchanged) column
  } else if (beforeStatus && next[beforeStatus] && hasUnloaded(next[beforeStatus])) {
    const column = next[beforeStatus];
    next[beforeStatus] = { ...column, total: Math.max(0, countOf(column) - 1) };
  }
  const target = next[lead.status];
  if (target && target.leads.length >= maxShown) {
    // A full column (a burst of arrivals): counted, and reachable through "Load more".
    next[lead.status] = { ...target, total: countOf(target) + 1 };
  } else if (target) {
    next[lead.status] = { ...target, leads: [lead, ...target.leads], total: countOf(target) + 1 };
  }
  return next;
}

/** `columns` without lead `id` (or, when it was not loaded, one fewer in `beforeStatus`). */
export function withoutLead(columns, id, beforeStatus = null) {
  const found = findStage(columns, id);
  const stage = found || beforeStatus;
  // Not loaded here: only a column with unloaded leads can have held it (else it is gone already).
  if (!stage || !columns[stage] || (!found && !hasUnloaded(columns[stage]))) return columns;
  const column = columns[stage];
  return {
    ...columns,
    [stage]: {
      ...column,
      leads: column.leads.filter((l) => l.id !== id),
      total: Math.max(0, countOf(column) - 1),
    },
  };
}

/** The lead with `id` as loaded on the board, or null. */
export function findLead(columns, id) {
  for (const column of Object.values(columns)) {
    const lead = column.leads.find((l) => l.id === id);
    if (lead) return lead;
  }
  return null;
}

/** `page` appended to the column's leads (a lead already shown is not shown twice). */
export function withPage(column, page, total) {
  const seen = new Set(column.leads.map((l) => l.id));
  return {
    ...column,
    leads: [...column.leads, ...page.filter((l) => !seen.has(l.id))],
    total: typeof total === 'number' ? total : null,
    loading: false,
    error: null,
  };
}

/** Does `lead` match the board's search `q` (what the server's search would find, roughly)? */
export function matchesQuery(lead, q) {
  const needle = q.trim().toLowerCase();
  if (!needle) return true;
  return [lead.name, lead.company, lead.email].some((v) => String(v || '').toLowerCase().includes(needle));
}

/** The count a column shows: the server's summary when not searching, else its own total. */
export function columnCount(column, summaryEntry, searching) {
  if (!searching && summaryEntry) return summaryEntry.count;
  return countOf(column);
}

/** The value sum a column shows, or null when it is not known (a search, or no summary yet). */
export function columnValue(column, summaryEntry, searching) {
  if (!searching && summaryEntry) return summaryEntry.value;
  if (column.total !== null && column.total > column.leads.length) return null;
  return column.leads.reduce((sum, lead) => sum + (Number(lead.value) || 0), 0);
}
