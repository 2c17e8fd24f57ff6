"""undo: reverts the user's latest change that is still current, from the store's change log.

Reads: the change log (through `undo_latest`): the user's newest `chat` or `board` change that
no undo reverts yet, whichever side made it and whether or not the chat was cleared since; a
second "undo" goes one further back. Writes: the revert (logged with source `undo`), an `undo`
action, focus. A lead a teammate changed since is left alone and the reply names them.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent_service.graph.context import Context, get_context
from agent_service.graph.nodes.common import finish, head
from agent_service.graph.state import State
from agent_service.leads.undo import undo_latest


def undo(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Revert the user's newest change still undoable (see `leads/undo.py`)."""
    op = head(state)
    context = get_context(runtime)
    actor = context.actor.model_copy(update={"source": "undo"})
    result = undo_latest(context.store, actor.user_id, actor=actor)
    if not result.action:  # nothing to undo, or changed since by someone: nothing written
        return finish(state, op, result.line)
    if result.lead is None:  # the undo removed the lead (it undid a create or a restore)
        lead_id = result.action.get("lead_id")
        update = finish(state, op, result.line, action=result.action)
        update["focus"] = [i for i in state.get("focus", []) if i != lead_id]
        update["focus_group"] = 1
        return update
    return finish(state, op, result.line, action=result.action, focus=[result.lead.id])
