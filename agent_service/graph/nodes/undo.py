"""undo: reverts the last change of this conversation.

Reads: `undo_log` (last entry). Writes: the store back to the lead's earlier state (a created
lead is deleted, a deleted lead restored with its id, changed fields set back), an `undo`
action, and pops the entry. A lead changed by someone else since is left alone.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent_service.errors import InvalidInput, LeadNotFound, VersionConflict
from agent_service.graph.context import Context, get_context
from agent_service.graph.nodes.common import action, describe_changes, diff, finish, head, snapshot
from agent_service.graph.state import Change, State
from agent_service.leads.models import EDITABLE_FIELDS, Lead


def _rebase(log: list[Change], lead_id: str, current: Lead | None) -> list[Change]:
    """The lead is back as the previous change left it, at a newer version: record that version."""
    for index in range(len(log) - 1, -1, -1):
        if log[index]["lead_id"] == lead_id:
            if log[index]["after"] is not None and current is not None:
                log = [*log[:index], {**log[index], "after": snapshot(current)}, *log[index + 1 :]]
            break
    return log


def undo(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Revert the newest entry of the undo log."""
    op = head(state)
    store = get_context(runtime).store
    log = list(state.get("undo_log", []))
    if not log:
        return finish(state, op, "There is nothing to undo in this conversation.")
    change = log[-1]
    before = Lead.model_validate(change["before"]) if change["before"] else None
    after = Lead.model_validate(change["after"]) if change["after"] else None
    try:
        if after is None and before is not None:  # it was deleted: put it back
            restored = current = store.restore(before)
            line = f"Undone: lead '{restored.name}' restored."
            done = action("undo", restored, diff(None, restored))
            focus = [restored.id]
        elif before is None and after is not None:  # it was created: remove it
            removed = store.delete(after.id, expected_version=after.version)
            current = None
            line = f"Undone: lead '{removed.name}' removed."
            done = action("undo", removed, diff(removed, None))
            focus = []
        else:
            assert before is not None and after is not None
            fields = {
                k: getattr(before, k)
                for k in EDITABLE_FIELDS
                if getattr(before, k) != getattr(after, k)
            }
            reverted = current = store.update(after.id, fields, expected_version=after.version)
            changes = diff(after, reverted)
            line = f"Undone: lead '{reverted.name}' {describe_changes(changes).replace('set to', 'restored to')}."
            done = action("undo", reverted, changes)
            focus = [reverted.id]
    except (VersionConflict, LeadNotFound, InvalidInput):
        name = (after or before).name if (after or before) else "?"
        update = finish(state, op, f"Lead '{name}' was changed since; nothing was undone.")
        update["undo_log"] = log[:-1]
        return update
    update = finish(state, op, line, action=done, focus=focus or None)
    update["undo_log"] = _rebase(log[:-1], change["lead_id"], current)
    if not focus:
        update["focus"] = [i for i in state.get("focus", []) if i != change["lead_id"]]
        update["focus_group"] = 1
    return update
