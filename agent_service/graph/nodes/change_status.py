"""change_status: moves the resolved lead to another pipeline stage.

Reads: `queue[0]` (`lead_id`, `status` in the user's words). Writes: the lead's stage, a
`change_status` action, focus; the store logs the change as the run's actor. Unknown stages are answered with the valid list.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent_service.errors import LeadNotFound, VersionConflict
from agent_service.graph.context import Context, get_context
from agent_service.graph.nodes.common import action, diff, finish, head
from agent_service.graph.state import State
from agent_service.leads.models import Pipeline

NEXT = {"next", "next stage", "the next stage", "forward", "next step", "the next step"}
PREVIOUS = {"previous", "previous stage", "the previous stage", "back", "back a stage"}


def resolve_stage(pipeline: Pipeline, wanted: str, current: str | None = None) -> str | None:
    """The stage `wanted` names: a stage, a synonym, or next/previous relative to `current`."""
    key = Pipeline.key(wanted)
    if current in pipeline and (key in NEXT or key in PREVIOUS):
        index = pipeline.stages.index(pipeline.canonical(current)) + (1 if key in NEXT else -1)
        return pipeline.stages[min(max(index, 0), len(pipeline.stages) - 1)]
    return pipeline.resolve(wanted)


def change_status(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Move `queue[0]`'s lead to the requested stage."""
    op = head(state)
    context = get_context(runtime)
    store = context.store
    wanted = str(op["args"].get("status", "")).strip()
    try:
        before = store.get(op["lead_id"])
    except LeadNotFound:
        return finish(state, op, "That lead no longer exists.")
    stage = resolve_stage(store.pipeline, wanted, before.status)
    if stage is None:
        valid = ", ".join(store.pipeline.stages)
        return finish(
            state, op, f"Unknown stage '{wanted}'. Valid stages: {valid}.", focus=[before.id]
        )
    if before.status == stage:
        return finish(
            state, op, f"Lead '{before.name}' is already in '{stage}'.", focus=[before.id]
        )
    try:
        after = store.update(
            before.id, {"status": stage}, expected_version=before.version, actor=context.actor
        )
    except VersionConflict:
        return finish(
            state,
            op,
            f"Lead '{before.name}' was changed by someone else just now; please try again.",
        )
    return finish(
        state,
        op,
        f"Lead '{after.name}' status updated to '{stage}'.",
        action=action("change_status", after, diff(before, after)),
        focus=[after.id],
    )
