"""respond: the brief, formal reply built from what the turn actually did.

Reads: `results` (one line per operation), `pending` (a question to ask), `queue`.
Writes: the assistant message, `turn` (reply, actions, needs, choices) for the caller,
ToolMessages for calls still waiting (so the history stays valid model input while paused),
and drops the oldest messages beyond the window so a long conversation costs the same.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage, ToolMessage
from langgraph.runtime import Runtime

from agent_service.graph.context import Context, get_context
from agent_service.graph.state import State

KEEP_FACTOR = 1  # messages kept in state: the window the model sees (the UI reads run records)


def respond(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Compose the reply of the turn (or of the pause, when a question is pending)."""
    results = state.get("results", [])
    pending = state.get("pending")
    lines = [r["line"] for r in results if r.get("line")]
    actions = [r["action"] for r in results if r.get("action")]
    update: dict[str, Any] = {}
    waiting: list[ToolMessage] = []
    if pending:
        lines.append(pending["question"])
        queue = []
        for op in state.get("queue", []):
            if not op.get("answered"):
                waiting.append(
                    ToolMessage(
                        content=f"Waiting for the user's answer: {pending['question']}",
                        tool_call_id=op["call_id"],
                        name=op["tool"],
                    )
                )
            queue.append({**op, "answered": True})
        update["queue"] = queue
    reply = "\n".join(lines) or "Done."
    update["turn"] = {
        "reply": reply,
        "actions": actions,
        "needs": pending["needs"] if pending else None,
        "choices": pending.get("choices", []) if pending else [],
    }
    update["messages"] = [*waiting, AIMessage(reply), *_overflow(state, get_context(runtime))]
    return update


def _overflow(state: State, context: Context) -> list[RemoveMessage]:
    """Removals for the oldest messages, cut at a user message so no tool call is orphaned."""
    messages = list(state["messages"])
    keep = context.history_window * KEEP_FACTOR
    if len(messages) <= keep:
        return []
    cut = len(messages) - keep
    while cut < len(messages) and not isinstance(messages[cut], HumanMessage):
        cut += 1
    return [RemoveMessage(id=m.id) for m in messages[:cut] if m.id]
