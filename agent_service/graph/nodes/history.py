"""history: answers `lead_history` from the store's change log ("what changed today?",
"who moved John?").

Reads: `queue[0]` (`lead_id` when a lead was named and resolved by the lead matcher, `since`),
the change log. Writes: an outcome with one line per change, newest first ("Lead 'John Smith'
status updated to 'Won' by demo via board, 2 min ago."), at most 10 with how many more;
the leads named into `focus`. Never writes to the store.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from langgraph.runtime import Runtime

from agent_service.errors import LeadNotFound
from agent_service.graph.context import Context, get_context
from agent_service.graph.nodes.common import finish, head
from agent_service.graph.state import State
from agent_service.leads.history import describe_change, lead_name
from agent_service.leads.models import LeadChange
from agent_service.leads.store import now

SHOWN = 10
FETCHED = 200  # changes read at most; more are counted as "and more"


def period(since: str | None, at: datetime) -> tuple[datetime | None, datetime | None, str]:
    """(from, until, words) of `since`: today/yesterday from local midnight, week = 7 days."""
    local = at.astimezone()  # the service's time zone: the one the team works in
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if since == "today":
        return midnight, None, "today"
    if since == "yesterday":
        return midnight - timedelta(days=1), midnight, "yesterday"
    if since == "week":
        return local - timedelta(days=7), None, "in the last 7 days"
    return None, None, "recently"


def ago(at: datetime, current: datetime) -> str:
    """ "just now", "2 min ago", "3 h ago", "2 days ago", or the date for older changes."""
    seconds = max(0.0, (current - at).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    if seconds < 7 * 86400:
        days = int(seconds // 86400)
        return "1 day ago" if days == 1 else f"{days} days ago"
    return f"on {at.astimezone():%d %b %Y}"


def history_line(change: LeadChange, current: datetime) -> str:
    """One change: what (`describe_change`), by whom, through which path, when."""
    who = change.user_name or change.user_id
    what = describe_change(change).rstrip(".")
    return f"{what} by {who} via {change.source}, {ago(change.at, current)}."


def history(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """List the changes of one lead, or of every lead in the period asked about."""
    op = head(state)
    store = get_context(runtime).store
    args = op.get("args") or {}
    current = now()
    start, until, words = period(args.get("since"), current)
    lead_id = op.get("lead_id")
    name = None
    if lead_id:
        try:
            name = store.get(lead_id).name
        except LeadNotFound:  # deleted: its history is still in the log
            latest = store.changes(lead_id=lead_id, newest_first=True, limit=1)
            if not latest:
                return finish(state, op, "That lead no longer exists.")
            name = lead_name(latest[0])
    if until is None:
        changes = store.changes(lead_id=lead_id, since=start, newest_first=True, limit=FETCHED)
    else:  # a closed period: read it from its start, so later changes cannot crowd it out
        oldest_first = store.changes(lead_id=lead_id, since=start, limit=FETCHED)
        changes = [c for c in reversed(oldest_first) if c.at < until]
    when = "" if words == "recently" else f" {words}"
    if name is not None:
        title, empty = f"Changes of lead '{name}'{when}", f"No changes of lead '{name}'{when}"
    elif when:
        title, empty = f"Changes{when}", f"No changes{when}"
    else:
        title, empty = "Recent changes", "No changes"
    if not changes:
        return finish(state, op, f"{empty} are recorded.", focus=[lead_id] if lead_id else None)
    more = len(changes) - SHOWN
    lines = [f"{title}, newest first:"]
    lines += [f"- {history_line(change, current)}" for change in changes[:SHOWN]]
    if more > 0:
        lines.append(f"…and {more}{'+' if len(changes) >= FETCHED else ''} more.")
    shown = list(dict.fromkeys(change.lead_id for change in changes[:SHOWN]))
    return finish(state, op, "\n".join(lines), focus=[lead_id] if lead_id else shown)
