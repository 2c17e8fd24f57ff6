/** Pure helpers: how steps, actions, replies and lead values are shown to a person. */

const STEP_LABELS = {
  router: 'Understanding…',
  lead_matcher: 'Finding the lead…',
  create: 'Updating the lead…',
  update: 'Updating the lead…',
  change_status: 'Updating the lead…',
  delete: 'Updating the lead…',
  undo: 'Updating the lead…',
  query: 'Looking up leads…',
  respond: 'Writing the reply…',
};

/** The typing indicator's words for the graph node running now. */
export function stepLabel(step) {
  if (!step) return 'Thinking…';
  return STEP_LABELS[step] || 'Working…';
}

const FIELD_LABELS = {
  name: 'Name',
  company: 'Company',
  email: 'Email',
  phone: 'Phone',
  status: 'Stage',
  value: 'Value',
  notes: 'Notes',
};

function shown(value) {
  if (value === null || value === undefined || value === '') return '—';
  return String(value);
}

/** One line per action: `{lead, change}` for a compact chip ("John Smith", "Contacted → Won"). */
export function describeAction(action) {
  const lead = action.lead_name || action.lead_id || 'Lead';
  const changes = action.changes || {};
  switch (action.type) {
    case 'create_lead':
      return { lead, change: changes.status ? `Created in ${shown(changes.status[1])}` : 'Created' };
    case 'delete_lead':
      return { lead, change: 'Deleted' };
    case 'change_status': {
      const [before, after] = changes.status || [];
      return { lead, change: `${shown(before)} → ${shown(after)}` };
    }
    case 'update_lead': {
      const parts = Object.entries(changes).map(
        ([field, [, after]]) => `${FIELD_LABELS[field] || field}: ${shown(after)}`,
      );
      return { lead, change: parts.length ? parts.join(', ') : 'Updated' };
    }
    case 'undo':
      return { lead, change: 'Undone' };
    default:
      return { lead, change: action.type || 'Changed' };
  }
}

const money = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  maximumFractionDigits: 0,
});

/** "$12,000" for a lead's value, '' when it has none. */
export function formatValue(value) {
  if (value === null || value === undefined || value === '') return '';
  const number = Number(value);
  return Number.isFinite(number) ? money.format(number) : '';
}
