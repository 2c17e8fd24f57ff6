"""Helpers shared by the action nodes: the head operation, outcomes, focus, undo log."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import ToolMessage

from agent_service.graph.state import Change, Operation, Outcome, State
from agent_service.leads.models import EDITABLE_FIELDS, Lead

FOCUS_SIZE = 10


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
    change: Change | None = None,
    undo_depth: int = 20,
) -> dict[str, Any]:
    """The state update for a finished operation: pop it, record its outcome and effects."""
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
    if change is not None:
        update["undo_log"] = [*state.get("undo_log", []), change][-undo_depth:]
    return update


def snapshot(lead: Lead | None) -> dict[str, Any] | None:
    """A lead as JSON-safe data, for the undo log."""
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
