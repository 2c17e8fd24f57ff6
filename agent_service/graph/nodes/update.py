"""update: changes fields of the resolved lead (`update_lead`).

Reads: `queue[0]` (`lead_id`, field args; "" clears a field; `replace_notes`,
`confirm_first`, `confirmed`). Writes: the lead (optimistic concurrency against the version
just read), an `update_lead` action, focus, an undo entry. A note is appended as a dated line
unless `replace_notes`; an invalid value (negative…) is refused and nothing changes; with
`confirm_first` the change is shown and asked about (`pending`) before it is written.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent_service.errors import InvalidInput, LeadNotFound, VersionConflict
from agent_service.graph.context import Context, get_context
from agent_service.graph.nodes.common import (
    action,
    describe_changes,
    diff,
    finish,
    head,
    quote_value,
)
from agent_service.graph.nodes.guards import append_note, invalid_value
from agent_service.graph.state import State

FIELDS = ("name", "company", "email", "phone", "value", "notes")


def update(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Apply `queue[0]`'s field changes."""
    op = head(state)
    store = get_context(runtime).store
    requested = {k: (None if v == "" else v) for k, v in op["args"].items() if k in FIELDS}
    requested = {k: v for k, v in requested.items() if not (k == "name" and v is None)}
    try:
        before = store.get(op["lead_id"])
    except LeadNotFound:
        return finish(state, op, "That lead no longer exists.")
    if not requested:
        return finish(
            state, op, f"No changes were given for lead '{before.name}'.", focus=[before.id]
        )
    problem = invalid_value(requested)
    if problem:
        return finish(
            state,
            op,
            f"I couldn't update lead '{before.name}': {problem}. Nothing was changed.",
            focus=[before.id],
        )
    if requested.get("notes") and not op["args"].get("replace_notes"):
        requested["notes"] = append_note(before.notes, str(requested["notes"]))
    if op["args"].get("confirm_first") and not op.get("confirmed"):
        shown = ", ".join(
            f"{k} → '{quote_value(k, v)}'" if v is not None else f"{k} removed"
            for k, v in requested.items()
        )
        return {
            "pending": {
                "needs": "confirmation",
                "question": f"Update lead '{before.name}': {shown}? Reply yes or correct me.",
                "choices": [],
                "call_id": op["call_id"],
            },
            "queue": [{**op, "version": before.version}, *state["queue"][1:]],
            "focus": [before.id, *[i for i in state.get("focus", []) if i != before.id]][:10],
            "focus_group": 1,
        }
    effective = {k: v for k, v in requested.items() if before.fields().get(k) != v}
    if not effective:
        return finish(
            state, op, f"Lead '{before.name}' already has these values.", focus=[before.id]
        )
    try:
        after = store.update(
            before.id,
            effective,
            expected_version=op.get("version", before.version),
            actor=get_context(runtime).actor,
        )
    except InvalidInput as exc:
        return finish(
            state, op, f"I couldn't update lead '{before.name}': {exc.detail}", focus=[before.id]
        )
    except VersionConflict:
        return finish(
            state,
            op,
            f"Lead '{before.name}' was changed by someone else just now; please try again.",
        )
    changes = diff(before, after)
    return finish(
        state,
        op,
        f"Lead '{after.name}' updated: {describe_changes(changes)}.",
        action=action("update_lead", after, changes),
        focus=[after.id],
    )
