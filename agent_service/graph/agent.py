"""`ChatAgent`: one call per user message on top of the compiled graph.

Used by the runs API, the evals and the benchmarks. A message either starts a new turn or,
when the thread is paused on a question, resumes it (`Command(resume=message)`).
Checkpoints are written once per turn (`durability="exit"`) and older ones are pruned, so a
turn costs the same at message 1 and message 200.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from agent_service.errors import CrmError, ModelTimeout, StoreUnavailable
from agent_service.graph.context import Context
from agent_service.graph.graph import compile_graph
from agent_service.leads.models import Actor
from agent_service.leads.store import LeadStore
from agent_service.settings import Settings


@dataclass
class TurnResult:
    """What one user message produced (the `result` of a run)."""

    reply: str
    actions: list[dict[str, Any]] = field(default_factory=list)
    needs: str | None = None
    choices: list[dict[str, str]] = field(default_factory=list)
    usage: dict[str, int] = field(default_factory=lambda: {"input_tokens": 0, "output_tokens": 0})

    def public(self) -> dict[str, Any]:
        return {
            "reply": self.reply,
            "actions": self.actions,
            "needs": self.needs,
            "choices": self.choices,
        }


log = logging.getLogger(__name__)
StepCallback = Callable[[str], None]
INTERRUPT_CHANNEL = "__interrupt__"  # where LangGraph saves a pending interrupt() as a write


class ChatAgent:
    """Runs the graph for one thread at a time (callers serialise messages per thread)."""

    def __init__(
        self,
        store: LeadStore,
        model: BaseChatModel,
        settings: Settings | None = None,
        checkpointer: BaseCheckpointSaver | None = None,
        prune: Callable[[str], None] | None = None,
    ) -> None:
        settings = settings or Settings()
        self.store = store
        self.checkpointer = checkpointer or InMemorySaver()
        self.graph = compile_graph(self.checkpointer)
        self.context = Context(store=store, model=model, history_window=settings.history_window)
        self._prune = prune

    @staticmethod
    def config(thread_id: str) -> dict[str, Any]:
        return {"configurable": {"thread_id": thread_id}}

    def send(
        self,
        thread_id: str,
        message: str,
        on_step: StepCallback | None = None,
        *,
        prune: bool = True,
        cancel: threading.Event | None = None,
        user_id: str = "system",
        user_name: str | None = None,
        run_id: str | None = None,
    ) -> TurnResult:
        """Process one user message on `thread_id` and return what it did.

        One checkpoint read (is the thread paused on a question?) and one write per turn; the
        reply comes from the `respond` node's update. `prune=False` leaves pruning the older
        checkpoints to the caller (`prune()`), e.g. after the reply has been sent. Once `cancel`
        is set (the caller gave up waiting), the turn writes no lead any more. Every lead write
        of the turn is logged as `Actor(user_id, user_name, "chat", run_id, thread_id)`.
        """
        config = self.config(thread_id)
        graph_input: Any = (
            Command(resume=message)
            if self.is_paused(thread_id)
            else {"messages": [HumanMessage(message)]}
        )
        usage = {"input_tokens": 0, "output_tokens": 0}
        turn: dict[str, Any] = {}
        done: list[dict[str, Any]] = []  # outcomes of this turn so far, for a failure's report
        actor = Actor(
            user_id=user_id,
            user_name=user_name,
            source="chat",
            run_id=run_id,
            thread_id=thread_id,
        )
        context = replace(self.context, actor=actor)
        if cancel is not None:
            context = replace(context, store=_CancellableStore(self.store, cancel))
        try:
            for chunk in self.graph.stream(
                graph_input, config, context=context, stream_mode="updates", durability="exit"
            ):
                for node, update in chunk.items():
                    if node.startswith("__"):
                        continue
                    if on_step:
                        on_step(node)
                    _count_usage(update, usage)
                    if isinstance(update, dict) and update.get("turn"):
                        turn = update["turn"]
                    if isinstance(update, dict) and isinstance(update.get("results"), list):
                        done = update["results"]
        except Exception as exc:
            error = as_crm_error(exc)
            self._recover(config, error, done)
            raise _with_what_was_done(error, done) from exc
        if prune:
            self.prune(thread_id)
        return TurnResult(
            reply=turn.get("reply", ""),
            actions=list(turn.get("actions") or []),
            needs=turn.get("needs"),
            choices=list(turn.get("choices") or []),
            usage=usage,
        )

    def is_paused(self, thread_id: str) -> bool:
        """Whether the thread waits on a question (an `interrupt()` of the ask node)."""
        saved = self.checkpointer.get_tuple(self.config(thread_id))
        return saved is not None and any(
            channel == INTERRUPT_CHANNEL for _, channel, _ in saved.pending_writes or []
        )

    def prune(self, thread_id: str) -> None:
        """Drop the thread's older checkpoints (only the latest is ever read)."""
        if self._prune:
            self._prune(thread_id)

    def _recover(self, config: dict[str, Any], error: CrmError, done: list[dict[str, Any]]) -> None:
        """After a turn failed half-way, leave the thread valid for the next message: every
        tool call answered (OpenAI refuses a history with an unanswered call), no queued
        operation and no question pending, and the failure in the conversation."""
        try:
            snapshot = self.graph.get_state(config)
            messages = list(snapshot.values.get("messages") or [])
            answered = {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}
            missing = [
                call
                for m in messages
                if isinstance(m, AIMessage)
                for call in m.tool_calls
                if call["id"] not in answered
            ]
            if not (missing or snapshot.values.get("queue") or snapshot.interrupts):
                return
            lines = [r["line"] for r in done if r.get("line")]
            self.graph.update_state(
                config,
                {
                    "messages": [
                        *(
                            ToolMessage(
                                content=f"Not done: {error.detail}",
                                tool_call_id=call["id"],
                                name=call["name"],
                            )
                            for call in missing
                        ),
                        AIMessage("\n".join([*lines, error.detail])),
                    ],
                    "queue": [],
                    "pending": None,
                    "results": [],
                },
                as_node="respond",
            )
        except Exception:  # the checkpoint database itself may be what failed
            log.warning("could not repair thread %s after a failed turn", config, exc_info=True)

    def pending(self, thread_id: str) -> dict[str, Any] | None:
        """The question the thread waits on, if any."""
        values = self.graph.get_state(self.config(thread_id)).values
        pending = values.get("pending")
        if not pending:
            return None
        return {
            "needs": pending["needs"],
            "question": pending["question"],
            "choices": pending.get("choices", []),
        }

    def clear(self, thread_id: str) -> None:
        """Forget the conversation: delete the thread's checkpoints."""
        self.checkpointer.delete_thread(thread_id)


class _CancellableStore:
    """The lead store of one turn: writes are refused once the turn is cancelled (timed out),
    so a run reported as failed changes nothing afterwards."""

    _WRITES = frozenset({"create", "update", "delete", "restore"})

    def __init__(self, store: LeadStore, cancel: threading.Event) -> None:
        self._store = store
        self._cancel = cancel

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._store, name)
        if name in self._WRITES and callable(attribute):

            def guarded(*args: Any, **kwargs: Any) -> Any:
                if self._cancel.is_set():
                    raise ModelTimeout()
                return attribute(*args, **kwargs)

            return guarded
        return attribute


def as_crm_error(exc: BaseException) -> CrmError:
    """Our error for `exc`: database errors (the checkpointer's too) are `StoreUnavailable`."""
    if isinstance(exc, CrmError):
        return exc
    if isinstance(exc, sqlite3.Error) or type(exc).__module__.startswith(
        ("psycopg", "psycopg_pool")
    ):
        return StoreUnavailable()
    log.exception("turn failed")
    return CrmError("Internal error; nothing was changed.")


def _with_what_was_done(error: CrmError, done: list[dict[str, Any]]) -> CrmError:
    """The error, saying what the turn had already done when there was something."""
    lines = [r["line"] for r in done if r.get("action")]
    if not lines:
        return error
    reason = error.detail.split(";")[0].rstrip(".")
    report = type(error).__new__(type(error))
    CrmError.__init__(
        report, f"{reason}. Done before that: {' '.join(lines)} Nothing else was changed."
    )
    return report


def _count_usage(update: Any, usage: dict[str, int]) -> None:
    if isinstance(update, dict) and update.get("usage"):
        for key in usage:
            usage[key] += int(update["usage"].get(key, 0))
