"""The wrong-write count: end-state leads and values that no expected action explains."""

from __future__ import annotations

from agent_service.leads.models import Lead
from agent_service.settings import Settings
from evals.cases import parse_conversation
from evals.report import build_report, render_table
from evals.runner import run_conversation
from evals.scoring import wrong_writes
from tests.utils.models import ScriptedChatModel, call, calls

SEED = [{"name": "Tom Novak", "company": "Acme", "value": 22000, "status": "Contacted"}]


def _conversation(turns: list, **extra) -> object:
    data = {"name": "c", "tags": ["t"], "leads": SEED, "turns": turns, **extra}
    return parse_conversation(data, "test")


def _lead(**fields) -> Lead:
    now = "2026-11-29T09:00:00Z"
    base = {"id": "l1", "status": "New", "version": 1, "created_at": now, "updated_at": now}
    return Lead.model_validate({**base, **fields})


NOTE_TURN = {
    "user": "add a note to Tom: called back",
    "expect": {"actions": [{"type": "update_lead", "lead": "Tom Novak", "notes": "called back"}]},
}


def test_nothing_unexplained_is_clean() -> None:
    conversation = _conversation([NOTE_TURN])
    lead = _lead(
        name="Tom Novak", company="Acme", value=22000, status="Contacted", notes="called back"
    )
    assert wrong_writes(conversation, [lead]) == []


def test_a_spurious_lead_is_a_wrong_write() -> None:
    conversation = _conversation([NOTE_TURN])
    tom = _lead(
        name="Tom Novak", company="Acme", value=22000, status="Contacted", notes="called back"
    )
    junk = _lead(id="l2", name="wants a demo in March")
    problems = wrong_writes(conversation, [tom, junk])
    assert len(problems) == 1 and "wants a demo in March" in problems[0]


def test_a_field_nobody_asked_for_is_a_wrong_write() -> None:
    conversation = _conversation([NOTE_TURN])
    tom = _lead(
        name="Tom Novak", company="Acme", value=5000, status="Contacted", notes="called back"
    )
    problems = wrong_writes(conversation, [tom])
    assert problems == ["wrong write: Tom Novak: value set to 5000.0, nobody asked for it"]


def test_a_listed_field_with_another_value_is_a_wrong_write() -> None:
    conversation = _conversation([NOTE_TURN])
    tom = _lead(
        name="Tom Novak",
        company="Acme",
        value=22000,
        status="Contacted",
        notes="called back, wants a demo",
    )
    assert len(wrong_writes(conversation, [tom])) == 1


def test_a_seeded_lead_that_vanished_is_a_wrong_write() -> None:
    conversation = _conversation([{"user": "hi", "expect": {"actions": []}}])
    assert wrong_writes(conversation, []) == ["wrong write: lead 'Tom Novak' disappeared"]


def test_report_counts_and_prints_wrong_writes() -> None:
    conversation = _conversation(
        [{"user": "add Ann", "expect": {"actions": [{"type": "create_lead", "lead": "Ann Lee"}]}}]
    )

    class Provider:
        def model_for(self, conversation, repetition):
            model = ScriptedChatModel()
            model.script = [
                calls(call("create_lead", name="Ann Lee"), call("create_lead", name="new lead"))
            ]
            return model

        def begin_turn(self, *args) -> None:
            pass

        def end_conversation(self, *args) -> None:
            pass

    record = run_conversation(conversation, Provider(), Settings(_env_file=None))
    assert record.wrong_writes and not record.passed
    report = build_report([record], model="scripted", repeat=1)
    assert report["wrong_writes"] == 1
    assert report["by_model"] == {"scripted": {"wrong_writes": 1}}
    assert "wrong writes 1" in render_table(report)


class _Scripted:
    """A provider whose model plays `script`, one reply per model call."""

    def __init__(self, script: list) -> None:
        self.script = script

    def model_for(self, conversation, repetition):
        model = ScriptedChatModel()
        model.script = list(self.script)
        return model

    def begin_turn(self, *args) -> None:
        pass

    def end_conversation(self, *args) -> None:
        pass


def test_a_wrong_write_a_later_turn_overwrites_is_still_counted() -> None:
    # "put -5000 on Tom" stored 5,000 (the sign dropped); the next turn sets 5,000 anyway, so
    # the end state is explained, but the first turn wrote a value nobody asked for.
    conversation = _conversation(
        [
            {"user": "put -5000 on Tom", "expect": {"actions": []}},
            {
                "user": "ok 5000 then",
                "expect": {
                    "actions": [{"type": "update_lead", "lead": "Tom Novak", "value": 5000}]
                },
            },
        ],
        final_leads=[{"name": "Tom Novak", "value": 5000}],
    )
    script = [
        calls(call("update_lead", lead="Tom Novak", value=5000)),
        calls(call("update_lead", lead="Tom Novak", value=5000)),
    ]
    record = run_conversation(conversation, _Scripted(script), Settings(_env_file=None))
    assert record.wrong_writes == [
        "wrong write (turn 1): update_lead on 'Tom Novak', nobody asked for it"
    ]
    assert not record.end_problems  # the end state alone would not have seen it


def test_a_turn_writing_another_value_than_expected_is_a_wrong_write() -> None:
    conversation = _conversation(
        [
            {
                "user": "tom is at 45k",
                "expect": {
                    "actions": [{"type": "update_lead", "lead": "Tom Novak", "value": 45000}]
                },
            }
        ]
    )
    script = [calls(call("update_lead", lead="Tom Novak", value=4500))]
    record = run_conversation(conversation, _Scripted(script), Settings(_env_file=None))
    assert "wrong write (turn 1): Tom Novak: value set to 4500.0, expected 45000" in (
        record.wrong_writes
    )


def test_the_expected_writes_of_a_turn_are_no_wrong_writes() -> None:
    conversation = _conversation(
        [
            {
                "user": "tom is at 45k",
                "expect": {
                    "actions": [{"type": "update_lead", "lead": "Tom Novak", "value": 45000}]
                },
            }
        ]
    )
    script = [calls(call("update_lead", lead="Tom Novak", value=45000))]
    record = run_conversation(conversation, _Scripted(script), Settings(_env_file=None))
    assert record.wrong_writes == [] and record.passed
