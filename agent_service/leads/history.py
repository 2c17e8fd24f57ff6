"""Lines that describe logged lead changes, for history replies, undo and "Done before a
restart: …" (docs/change-log.md)."""

from __future__ import annotations

from typing import Any

from agent_service.leads.models import EDITABLE_FIELDS, LeadChange


def quote(field: str, value: Any) -> str:
    """A field value as shown to a person: `'5,000'` for value, `'Won'` for text."""
    if field == "value" and isinstance(value, int | float):
        shown = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
        return f"'{shown}'"
    return f"'{value}'"


def field_changes(
    before: dict[str, Any] | None, after: dict[str, Any] | None
) -> dict[str, list[Any]]:
    """Field → [before, after] for the editable fields that differ between two logged leads
    (a missing side counts as all fields empty). Shaped like an action's `changes`."""
    old = before or {}
    new = after or {}
    return {
        name: [old.get(name), new.get(name)]
        for name in EDITABLE_FIELDS
        if old.get(name) != new.get(name)
    }


def describe_fields(changes: dict[str, list[Any]], verb: str = "updated to") -> str:
    """`status updated to 'Won', phone removed`."""
    parts = []
    for name, (_, new) in changes.items():
        parts.append(f"{name} removed" if new is None else f"{name} {verb} {quote(name, new)}")
    return ", ".join(parts)


def lead_name(change: LeadChange) -> str:
    """The lead's name as the change found it (its name before an update or delete)."""
    side = change.before if change.before is not None else change.after
    return str((side or {}).get("name") or change.lead_id)


def describe_change(change: LeadChange) -> str:
    """One formal line for a logged change, e.g. `Lead 'John Smith' status updated to 'Won'.`"""
    name = lead_name(change)
    if change.op == "create":
        return f"Lead '{name}' created in '{(change.after or {}).get('status')}'."
    if change.op == "delete":
        return f"Lead '{name}' deleted."
    if change.op == "restore":
        return f"Lead '{name}' restored."
    changes = field_changes(change.before, change.after)
    if not changes:
        return f"Lead '{name}' saved without changes."
    return f"Lead '{name}' {describe_fields(changes)}."
