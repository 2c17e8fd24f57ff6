/** Pure helpers for the change log: how a lead change and its age read to a person. */

const FIELD_NAMES = {
  name: 'name',
  company: 'company',
  email: 'email',
  phone: 'phone',
  value: 'value',
  notes: 'notes',
  status: 'stage',
};

/** "just now", "2 min ago", "3 h ago", "yesterday", "4 days ago" for `at` (ISO) seen at `now`. */
export function timeAgo(at, now = Date.now()) {
  const then = new Date(at).getTime();
  if (!Number.isFinite(then)) return '';
  const seconds = Math.max(0, Math.round((now - then) / 1000));
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  return days === 1 ? 'yesterday' : `${days} days ago`;
}

/** Who made a change and how: "demo via chat", "bob on the board", "demo (undo)". */
export function changeAuthor(change) {
  const who = change.user_name || change.user_id || 'someone';
  if (change.source === 'chat') return `${who} via chat`;
  if (change.source === 'undo') return `${who} (undo)`;
  return `${who} on the board`;
}

/** What a change did, without who or when: "Moved to Won", "Created in New", "Changed phone". */
export function changeSummary(change) {
  const before = change.before || {};
  const after = change.after || {};
  if (change.op === 'create') return after.status ? `Created in ${after.status}` : 'Created';
  if (change.op === 'delete') return 'Deleted';
  if (change.op === 'restore') return 'Restored';
  const fields = Object.keys(FIELD_NAMES).filter(
    (key) => JSON.stringify(before[key] ?? null) !== JSON.stringify(after[key] ?? null),
  );
  const parts = [];
  if (fields.includes('status')) parts.push(`Moved to ${after.status}`);
  const others = fields.filter((key) => key !== 'status').map((key) => FIELD_NAMES[key]);
  if (others.length) parts.push(`${parts.length ? 'changed' : 'Changed'} ${others.join(', ')}`);
  return parts.length ? parts.join(', ') : 'Updated';
}

/** One history line: "Moved to Won by demo via chat, 2 min ago". */
export function describeChange(change, now = Date.now()) {
  const age = timeAgo(change.at, now);
  return `${changeSummary(change)} by ${changeAuthor(change)}${age ? `, ${age}` : ''}`;
}

/** "14:05" (or "Mar 3, 14:05" when not today) for a chat message's time. */
export function clockTime(at, now = Date.now()) {
  const date = new Date(at);
  if (!Number.isFinite(date.getTime())) return '';
  const time = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  if (date.toDateString() === new Date(now).toDateString()) return time;
  return `${date.toLocaleDateString([], { month: 'short', day: 'numeric' })}, ${time}`;
}
