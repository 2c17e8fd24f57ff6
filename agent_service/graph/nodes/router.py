"""router: asks the chat model for tool calls and turns them into the turn's operations.

Reads: `messages` (the window the model sees), the pipeline stages, the leads the latest
message names (`graph/grounding.py`), the change log since `seen_seq` (the user's board
changes). Writes: the model's AIMessage, `queue` (one Operation per valid tool call), a fresh
`results`, and `focus`/`seen_seq` (`board_focus`).
Malformed arguments or an unknown tool get one repair round; if the model still answers
nonsense, the turn gets a clear "I couldn't understand" reply and nothing is written.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from langchain_core.messages import (
    AIMessage,
    AnyMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    trim_messages,
)
from langgraph.runtime import Runtime
from pydantic import ValidationError

from agent_service.errors import CrmError, ModelTimeout, ModelUnavailable
from agent_service.graph.context import Context, get_context
from agent_service.graph.grounding import ground, grounding_message
from agent_service.graph.nodes.common import board_focus
from agent_service.graph.prompts import system_prompt
from agent_service.graph.state import Operation, State
from agent_service.graph.tools import TOOLS, TOOLS_BY_NAME

log = logging.getLogger(__name__)

NOT_UNDERSTOOD = (
    "I couldn't understand that request; nothing was changed. "
    "Try for example 'Move John to Meeting booked'."
)
MAX_CALLS = 10


def _count_messages(messages: list[AnyMessage]) -> int:
    # Not `len` itself: trim_messages inspects a builtin's signature with ast.parse, which is not
    # thread-safe on CPython 3.11 (gh-106905) and crashed a run under load.
    return len(messages)


def model_window(messages: list[AnyMessage], window: int) -> list[AnyMessage]:
    """The last `window` messages, starting at a user message so every tool call is answered."""
    return trim_messages(
        messages,
        strategy="last",
        token_counter=_count_messages,
        max_tokens=window,
        start_on="human",
        include_system=False,
        allow_partial=False,
    )


def _problems(message: AIMessage) -> list[tuple[str, str, str]]:
    """(call id, tool name, error) for every call that is not a valid tool call."""
    problems = []
    for bad in message.invalid_tool_calls or []:
        problems.append(
            (bad.get("id") or "", bad.get("name") or "?", "arguments are not valid JSON")
        )
    for call in message.tool_calls:
        tool = TOOLS_BY_NAME.get(call["name"])
        if tool is None:
            problems.append((call["id"] or "", call["name"], f"unknown tool '{call['name']}'"))
            continue
        try:
            tool.model_validate(call["args"])
        except ValidationError as exc:
            problems.append((call["id"] or "", call["name"], str(exc).splitlines()[0]))
    return problems


def _ask_model(runtime: Runtime[Context], messages: list[AnyMessage]) -> AIMessage:
    model = get_context(runtime).model.bind_tools(list(TOOLS))
    try:
        answer = model.invoke(messages)
    except CrmError:
        raise
    except Exception as exc:  # the client libraries' errors, mapped to ours
        raise _model_error(exc) from exc
    if not isinstance(answer, AIMessage):
        raise ModelUnavailable("The language model gave an answer of an unexpected kind.")
    return answer


def _model_error(exc: Exception) -> CrmError:
    name = type(exc).__name__
    if isinstance(exc, TimeoutError | httpx.TimeoutException) or "Timeout" in name:
        return ModelTimeout()
    log.warning("chat model failed: %s: %s", name, exc)
    return ModelUnavailable()


def _usage(answer: AIMessage, total: dict[str, int] | None = None) -> dict[str, int]:
    total = dict(total or {"input_tokens": 0, "output_tokens": 0})
    meta = answer.usage_metadata or {}
    total["input_tokens"] += int(meta.get("input_tokens", 0))
    total["output_tokens"] += int(meta.get("output_tokens", 0))
    return total


def _reply_only(line: str) -> dict[str, Any]:
    """A turn with no operation: respond says `line`."""
    return {"queue": [], "results": [{"call_id": "", "line": line, "action": None}]}


def router(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Plan the turn from the latest user message."""
    seen = board_focus(state, get_context(runtime))  # a failed turn leaves seen_seq: re-read
    return {**seen, **_plan(state, runtime)}


def _plan(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """The model's tool calls for the latest user message, as operations."""
    store = get_context(runtime).store
    window = model_window(list(state["messages"]), get_context(runtime).history_window)
    prompt: list[AnyMessage] = [SystemMessage(system_prompt(store.pipeline.stages))]
    latest = next((m for m in reversed(window) if isinstance(m, HumanMessage)), None)
    hint = grounding_message(ground(store, str(latest.content))) if latest is not None else None
    prompt += [hint, *window] if hint is not None else window
    answer = _ask_model(runtime, prompt)
    usage = _usage(answer)
    problems = _problems(answer)
    if problems:
        log.info("repairing %d bad tool call(s): %s", len(problems), problems)
        repair: list[AnyMessage] = [
            *prompt,
            answer,
            *[
                ToolMessage(
                    content=f"Error: {error}. Call the tool again correctly.", tool_call_id=cid
                )
                for cid, _, error in problems
                if cid
            ],
            HumanMessage("Your last tool call was invalid. Answer my previous message again."),
        ]
        answer = _ask_model(runtime, repair)
        usage = _usage(answer, usage)
        if _problems(answer):
            return {**_reply_only(NOT_UNDERSTOOD), "usage": usage}
    calls = answer.tool_calls[:MAX_CALLS]
    if not calls:
        reply = (answer.text if hasattr(answer, "text") else str(answer.content)).strip()
        return {**_reply_only(reply[:1000] or NOT_UNDERSTOOD), "usage": usage}
    stored = AIMessage(content="", tool_calls=calls, id=answer.id)
    queue: list[Operation] = [
        {"call_id": c["id"] or f"call_{i}", "tool": c["name"], "args": dict(c["args"])}
        for i, c in enumerate(calls)
    ]
    for op, call in zip(queue, stored.tool_calls, strict=True):
        call["id"] = op["call_id"]
    return {"messages": [stored], "queue": queue, "results": [], "usage": usage}
