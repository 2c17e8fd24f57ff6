"""Replaying conversations: a fresh SQLite store per run, the real graph, scored turn by turn."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from langchain_core.language_models import BaseChatModel

from agent_service.graph.agent import ChatAgent
from agent_service.leads.models import Pipeline
from agent_service.leads.sqlite import SqliteLeadStore
from agent_service.settings import Settings
from evals.cases import Conversation
from evals.scoring import (
    check_end_state,
    score_turn,
    summarize_action,
    turn_wrong_writes,
    unconfirmed_deletes,
    wrong_writes,
)


@dataclass
class TurnRecord:
    """What one turn did and how it scored."""

    index: int  # 1-based
    user: str
    expected: dict[str, Any]
    reply: str = ""
    actions: list[dict[str, Any]] = field(default_factory=list)
    needs: str | None = None
    problems: list[str] = field(default_factory=list)
    actions_ok: bool = False
    expects_clarification: bool = False
    latency_ms: float = 0.0
    usage: dict[str, int] = field(default_factory=dict)
    unconfirmed_deletes: int = 0
    error: str | None = None

    @property
    def passed(self) -> bool:
        return not self.problems


@dataclass
class RunRecord:
    """One replay of one conversation."""

    conversation: Conversation
    repetition: int
    turns: list[TurnRecord] = field(default_factory=list)
    end_problems: list[str] = field(default_factory=list)
    final_leads: list[dict[str, Any]] = field(default_factory=list)
    wrong_writes: list[str] = field(default_factory=list)  # see `evals.scoring.wrong_writes`
    turn_wrong_writes: list[str] = field(default_factory=list)  # `scoring.turn_wrong_writes`
    error: str | None = None

    @property
    def passed(self) -> bool:
        return (
            self.error is None
            and not self.end_problems
            and not self.wrong_writes
            and all(t.passed for t in self.turns)
        )


class ModelProvider(Protocol):
    """Gives the chat model for each run and hears where the replay is (for cassettes)."""

    def model_for(self, conversation: Conversation, repetition: int) -> BaseChatModel: ...

    def begin_turn(self, conversation: Conversation, repetition: int, turn: int) -> None: ...

    def end_conversation(self, conversation: Conversation, repetition: int) -> None: ...


class SingleModel:
    """One model for every run (the offline parser, or ChatOpenAI), with optional hooks."""

    def __init__(
        self,
        model: BaseChatModel,
        on_turn: Callable[[Conversation, int, int], None] | None = None,
        on_end: Callable[[Conversation, int], None] | None = None,
    ) -> None:
        self.model = model
        self._on_turn = on_turn
        self._on_end = on_end

    def model_for(self, conversation: Conversation, repetition: int) -> BaseChatModel:
        return self.model

    def begin_turn(self, conversation: Conversation, repetition: int, turn: int) -> None:
        if self._on_turn:
            self._on_turn(conversation, repetition, turn)

    def end_conversation(self, conversation: Conversation, repetition: int) -> None:
        if self._on_end:
            self._on_end(conversation, repetition)


def scratch_dir() -> str | None:
    """Where the throwaway stores go: tmpfs when there is one (each run's SQLite file is
    created, migrated and fsynced; on tmpfs that costs ~3 ms instead of ~50 ms), else the
    system temp dir."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def seed_store(directory: Path, conversation: Conversation, settings: Settings) -> SqliteLeadStore:
    """A new SQLite store in `directory` holding the conversation's `leads`."""
    store = SqliteLeadStore(directory / "crm.sqlite3", Pipeline(settings.crm_pipeline))
    store.migrate()
    for lead in conversation.leads:
        fields = {k: v for k, v in lead.items() if k != "id"}
        store.create(fields, lead_id=lead.get("id"))
    return store


def _lead_summary(lead: Any) -> dict[str, Any]:
    return {k: v for k, v in lead.fields().items() if v is not None}


def run_conversation(
    conversation: Conversation,
    provider: ModelProvider,
    settings: Settings,
    repetition: int = 0,
) -> RunRecord:
    """Replay `conversation` once on a fresh store and score it."""
    record = RunRecord(conversation=conversation, repetition=repetition)
    with tempfile.TemporaryDirectory(prefix="crm-eval-", dir=scratch_dir()) as tmp:
        try:
            store = seed_store(Path(tmp), conversation, settings)
        except Exception as exc:  # a bad seed lead is the case's fault: say which
            record.error = f"seeding the store failed: {type(exc).__name__}: {exc}"
            return record
        try:
            _play(record, store, provider, settings)
            record.final_leads = [_lead_summary(lead) for lead in store.list()]
            if record.error is None:
                record.end_problems = check_end_state(conversation, store.list())
                record.wrong_writes = record.turn_wrong_writes + wrong_writes(
                    conversation, store.list(), store.pipeline.stages[0]
                )
        finally:
            provider.end_conversation(conversation, repetition)
            store.close()
    return record


def _play(
    record: RunRecord, store: SqliteLeadStore, provider: ModelProvider, settings: Settings
) -> None:
    conversation, repetition = record.conversation, record.repetition
    agent = ChatAgent(store, provider.model_for(conversation, repetition), settings)
    thread = f"eval-{conversation.name}-{repetition}"
    previous_needs: str | None = None
    previous_reply = ""
    for index, turn in enumerate(conversation.turns, 1):
        item = TurnRecord(
            index=index,
            user=turn.user,
            expected=turn.expected(),
            expects_clarification=turn.needs == "clarification",
        )
        record.turns.append(item)
        if record.error is not None:
            item.problems = ["not run: an earlier turn failed with an error"]
            continue
        provider.begin_turn(conversation, repetition, index)
        started = time.perf_counter()
        try:
            result = agent.send(thread, turn.user, user_id="eval")  # seeds are `system`'s
        except Exception as exc:  # the model or the graph failed: record it, stop this run
            item.latency_ms = (time.perf_counter() - started) * 1000
            item.error = record.error = f"{type(exc).__name__}: {exc}"
            item.problems = [f"error: {item.error}"]
            continue
        item.latency_ms = (time.perf_counter() - started) * 1000
        item.reply, item.actions, item.needs = result.reply, result.actions, result.needs
        item.usage = dict(result.usage or {})
        leads_by_id = {lead.id: lead for lead in store.list()}
        item.problems, item.actions_ok = score_turn(
            turn, result.reply, result.actions, result.needs, leads_by_id
        )
        item.unconfirmed_deletes = unconfirmed_deletes(
            result.actions, previous_needs, previous_reply
        )
        if item.unconfirmed_deletes:
            item.problems.append(f"{item.unconfirmed_deletes} delete(s) without a confirmation")
        wrong = turn_wrong_writes(index, turn.actions, result.actions)
        record.turn_wrong_writes += wrong
        item.problems += wrong
        previous_needs, previous_reply = result.needs, result.reply


def run_all(
    cases: Iterable[Conversation],
    provider: ModelProvider,
    settings: Settings,
    repeat: int = 1,
    on_run: Callable[[RunRecord], None] | None = None,
) -> list[RunRecord]:
    """Every conversation `repeat` times (pass^k: a conversation passes if every run does)."""
    records = []
    for conversation in cases:
        for repetition in range(repeat):
            record = run_conversation(conversation, provider, settings, repetition)
            records.append(record)
            if on_run:
                on_run(record)
    return records


def failure_entries(record: RunRecord) -> list[dict[str, Any]]:
    """The failures of one run, as written to the JSON report."""
    conversation = record.conversation
    base = {
        "conversation": conversation.name,
        "file": str(conversation.path) if conversation.path else None,
        "repetition": record.repetition + 1,
    }
    out = []
    for turn in record.turns:
        if turn.passed:
            continue
        out.append(
            {
                **base,
                "turn": turn.index,
                "user": turn.user,
                "problems": turn.problems,
                "expected": turn.expected,
                "got": {
                    "reply": turn.reply,
                    "actions": [summarize_action(a) for a in turn.actions],
                    "needs": turn.needs,
                },
            }
        )
    if record.end_problems or record.wrong_writes:
        out.append(
            {
                **base,
                "turn": "final",
                "problems": record.end_problems + record.wrong_writes,
                "expected": {
                    "final_leads": conversation.final_leads,
                    "absent": conversation.absent,
                },
                "got": {"leads": record.final_leads},
            }
        )
    if record.error and not record.turns:
        out.append({**base, "turn": None, "problems": [record.error]})
    return out
