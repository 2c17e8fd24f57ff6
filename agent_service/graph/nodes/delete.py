"""delete: deletes the resolved lead, but only after the user said yes.

Reads: `queue[0]` (`lead_id`, `confirmed`). Unconfirmed → writes a `pending` confirmation
("Delete lead 'John Smith' (Acme)? Reply yes to confirm.") and the turn pauses. Confirmed →
deletes (logged as the run's actor) and writes a `delete_lead` action.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent_service.errors import LeadNotFound, VersionConflict
from agent_service.graph.context import Context, get_context
from agent_service.graph.nodes.common import action, diff, finish, head
from agent_service.graph.state import State


def delete(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Ask to confirm, or carry out the confirmed delete of `queue[0]`."""
    op = head(state)
    context = get_context(runtime)
    store = context.store
    try:
        lead = store.get(op["lead_id"])
    except LeadNotFound:
        return finish(state, op, "That lead no longer exists.")
    if not op.get("confirmed"):
        company = f" ({lead.company})" if lead.company else ""
        return {
            "pending": {
                "needs": "confirmation",
                "question": f"Delete lead '{lead.name}'{company}? Reply yes to confirm.",
                "choices": [],
                "call_id": op["call_id"],
            },
            "focus": [lead.id, *[i for i in state.get("focus", []) if i != lead.id]][:10],
            # The yes confirms this version: an edit made meanwhile is not deleted unseen.
            "queue": [{**op, "version": lead.version}, *state["queue"][1:]],
            "focus_group": 1,
        }
    try:
        deleted = store.delete(
            lead.id, expected_version=op.get("version", lead.version), actor=context.actor
        )
    except (LeadNotFound, VersionConflict):
        return finish(
            state, op, f"Lead '{lead.name}' was changed since you confirmed; nothing was deleted."
        )
    update = finish(
        state,
        op,
        f"Lead '{deleted.name}' deleted.",
        action=action("delete_lead", deleted, diff(deleted, None)),
    )
    update["focus"] = [i for i in state.get("focus", []) if i != deleted.id]
    update["focus_group"] = 1
    return update
