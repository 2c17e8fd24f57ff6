"""create: adds the lead described by a `create_lead` call.

Reads: `queue[0].args`. Writes: the new lead to the store, an outcome with a `create_lead`
action, the new lead into `focus`, an undo entry. Invalid fields change nothing.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent_service.errors import InvalidInput
from agent_service.graph.context import Context, get_context
from agent_service.graph.nodes.common import action, diff, finish, head, snapshot
from agent_service.graph.state import State


def create(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Create the lead of `queue[0]`."""
    op = head(state)
    fields = {k: v for k, v in op["args"].items() if v not in (None, "")}
    name = str(fields.get("name", "")).strip()
    try:
        lead = get_context(runtime).store.create(fields, actor=get_context(runtime).actor)
    except InvalidInput as exc:
        return finish(state, op, f"I couldn't create lead '{name}': {exc.detail}")
    changes = diff(None, lead)
    line = f"Lead '{lead.name}' created in '{lead.status}'."
    return finish(
        state,
        op,
        line,
        action=action("create_lead", lead, changes),
        focus=[lead.id],
        change={"type": "create_lead", "lead_id": lead.id, "before": None, "after": snapshot(lead)},
        undo_depth=get_context(runtime).undo_depth,
    )
