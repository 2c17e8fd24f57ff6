"""Helpers shared by the action nodes: the head operation, outcomes, focus."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from langchain_core.messages import ToolMessage

from agent_service.graph.context import Context
from agent_service.graph.state import Operation, Outcome, State
from agent_service.leads.models import EDITABLE_FIELDS, Lead
from agent_service.leads.store import now

FOCUS_SIZE = 10
BOARD_LOOKBACK = timedelta(minutes=15)  # how far back a new thread looks for board changes


def head(state: State) -> Operation:
    """The operation being carried out now."""
    return state["queue"][0]


def tool_reply(op: Operation, content: str) -> list[ToolMessage]:
    """The ToolMessage answering `op`'s call, unless one was written when the turn paused."""
    if op.get("answered"):
        return []
    return [ToolMessage(content=content, tool_call_id=op["call_id"], name=op["tool"])]


def finish(
    state: State,
    op: Operation,
    line: str,
    *,
    action: dict[str, Any] | None = None,
    focus: list[str] | None = None,
) -> dict[str, Any]:
    """The state update for a finished operation: pop it, record its outcome and the leads it
    brings into focus (undo reads the store's change log, written by the store call itself)."""
    outcome: Outcome = {"call_id": op["call_id"], "line": line, "action": action}
    update: dict[str, Any] = {
        "queue": state["queue"][1:],
        "results": [*state.get("results", []), outcome],
        "messages": tool_reply(op, line),
    }
    if focus is not None:
        previous = [lead_id for lead_id in state.get("focus", []) if lead_id not in focus]
        update["focus"] = [*focus, *previous][:FOCUS_SIZE]
        update["focus_group"] = max(1, min(len(focus), FOCUS_SIZE))
    return update


def snapshot(lead: Lead | None) -> dict[str, Any] | None:
    """A lead as JSON-safe data."""
    return lead.model_dump(mode="json") if lead else None


def diff(before: Lead | None, after: Lead | None) -> dict[str, list[Any]]:
    """Field → [before, after] for the fields that differ."""
    old = before.fields() if before else dict.fromkeys(EDITABLE_FIELDS)
    new = after.fields() if after else dict.fromkeys(EDITABLE_FIELDS)
    return {name: [old[name], new[name]] for name in EDITABLE_FIELDS if old[name] != new[name]}


def action(kind: str, lead: Lead, changes: dict[str, list[Any]]) -> dict[str, Any]:
    """An action as reported to the caller (DESIGN.md)."""
    return {"type": kind, "lead_id": lead.id, "lead_name": lead.name, "changes": changes}


def quote_value(field: str, value: Any) -> str:
    if field == "value" and isinstance(value, int | float):
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return str(value)


def describe_changes(changes: dict[str, list[Any]]) -> str:
    """`email set to 'a@b.c', phone removed`."""
    parts = []
    for name, (_, new) in changes.items():
        if new is None:
            parts.append(f"{name} removed")
        else:
            parts.append(f"{name} set to '{quote_value(name, new)}'")
    return ", ".join(parts)


def board_focus(state: State, context: Context) -> dict[str, Any]:
    """The state update that puts the leads this user changed on the board since the thread's
    last message (`seen_seq`; a new thread: the last 15 minutes) first in `focus`, newest
    first, so "move her to Won" after dragging Aisha acts on Aisha. Deleted leads leave focus.

    Runs without a real user (`system`: seeds, scripts, evals) have no board of their own.
    """
    user_id = context.actor.user_id if context.actor is not None else "system"
    if user_id == "system":
        return {}
    store = context.store
    last = store.last_seq()  # read first: a change committed meanwhile is seen next turn
    seen = state.get("seen_seq")
    if seen is not None and last <= seen:
        return {"seen_seq": last} if last != seen else {}
    window: dict[str, Any] = (
        {"after": seen} if seen is not None else {"since": now() - BOARD_LOOKBACK}
    )
    changes = store.changes(
        **window, user_id=user_id, source="board", newest_first=True, limit=FOCUS_SIZE * 5
    )
    changed: list[str] = []
    gone: set[str] = set()
    for change in changes:  # newest first: a lead's newest change decides
        if change.seq > last or change.lead_id in gone or change.lead_id in changed:
            continue
        if change.op == "delete":
            gone.add(change.lead_id)
        else:
            changed.append(change.lead_id)
    update: dict[str, Any] = {"seen_seq": last}
    if changed or gone:
        previous = [i for i in state.get("focus", []) if i not in gone and i not in changed]
        update["focus"] = [*changed, *previous][:FOCUS_SIZE]
        update["focus_group"] = 1
    return update
