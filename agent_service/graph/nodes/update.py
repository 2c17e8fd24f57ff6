"""update: changes fields of the resolved lead (`update_lead`).

Reads: `queue[0]` (`lead_id`, field args; "" clears a field). Writes: the lead (optimistic
concurrency against the version just read), an `update_lead` action, focus, an undo entry.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent_service.errors import InvalidInput, LeadNotFound, VersionConflict
from agent_service.graph.context import Context, get_context
from agent_service.graph.nodes.common import action, describe_changes, diff, finish, head, snapshot
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
    effective = {k: v for k, v in requested.items() if before.fields().get(k) != v}
    if not effective:
        return finish(
            state, op, f"Lead '{before.name}' already has these values.", focus=[before.id]
        )
    try:
        after = store.update(
            before.id, effective, expected_version=before.version, actor=get_context(runtime).actor
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
        change={
            "type": "update_lead",
            "lead_id": after.id,
            "before": snapshot(before),
            "after": snapshot(after),
        },
        undo_depth=get_context(runtime).undo_depth,
    )
