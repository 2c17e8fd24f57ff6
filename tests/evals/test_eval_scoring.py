"""Scoring of whole conversations with a tiny scripted model, and the scoring rules themselves."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.language_models import BaseChatModel

from agent_service.settings import Settings
from evals.cases import CaseError, Conversation, ExpectedAction, load_cases, parse_conversation
from evals.report import build_report, metrics, percentile
from evals.runner import failure_entries, run_all, run_conversation
from evals.scoring import compare_actions, unconfirmed_deletes, values_equal
from tests.evals.eval_cases import MOVE_JOHN
from tests.utils.models import ScriptedChatModel, call, calls


class Scripted:
    """A provider giving each run a fresh scripted model (scripts[repetition])."""

    def __init__(self, *scripts: list) -> None:
        self.scripts = scripts
        self.turns: list[tuple[str, int, int]] = []

    def model_for(self, conversation: Conversation, repetition: int) -> BaseChatModel:
        model = ScriptedChatModel()
        model.script = list(self.scripts[repetition % len(self.scripts)])  # no coercion
        return model

    def begin_turn(self, conversation: Conversation, repetition: int, turn: int) -> None:
        self.turns.append((conversation.name, repetition, turn))

    def end_conversation(self, conversation: Conversation, repetition: int) -> None:
        pass


RIGHT = [
    calls(call("change_status", lead="John Smith", status="Meeting booked")),
    calls(call("find_leads", lead="John Smith", field="email")),
]
WRONG_LEAD = [
    calls(call("change_status", lead="Sarah", status="Meeting booked")),
    calls(call("find_leads", lead="John Smith", field="email")),
]


@pytest.fixture
def move_john() -> Conversation:
    return parse_conversation(MOVE_JOHN, "move-john")


def test_a_correct_run_passes_every_turn(move_john: Conversation, settings: Settings) -> None:
    provider = Scripted(RIGHT)
    record = run_conversation(move_john, provider, settings)
    assert record.passed, [t.problems for t in record.turns] + [record.end_problems]
    assert [t.actions_ok for t in record.turns] == [True, True]
    assert record.turns[0].reply == "Lead 'John Smith' status updated to 'Meeting booked'."
    assert provider.turns == [("move-john", 0, 1), ("move-john", 0, 2)]
    report = build_report([record], model="scripted", repeat=1)
    assert (report["passed"], report["turns_passed"], report["action_match"]) == (1, 2, 1.0)
    assert report["failures"] == []


def test_a_wrong_lead_fails_with_expected_and_got(
    move_john: Conversation, settings: Settings
) -> None:
    record = run_conversation(move_john, Scripted(WRONG_LEAD), settings)
    assert not record.passed
    first, second = record.turns
    assert not first.actions_ok
    assert "action 1: lead 'Sarah Lee' instead of 'John Smith'" in first.problems
    assert "reply lacks 'John Smith'" in first.problems
    assert second.passed  # the email question is still answered right
    assert "final: John Smith: status 'Contacted' instead of 'Meeting booked'" in (
        record.end_problems
    )
    assert "final: Sarah Lee: status 'Meeting booked' instead of 'New'" in record.end_problems

    entries = failure_entries(record)
    assert [e["turn"] for e in entries] == [1, "final"]
    turn = entries[0]
    assert turn["conversation"] == "move-john"
    assert turn["expected"]["actions"] == [
        {"type": "change_status", "lead": "John Smith", "status": "Meeting booked"}
    ]
    assert turn["got"]["actions"] == [
        {"type": "change_status", "lead": "Sarah Lee", "status": "Meeting booked"}
    ]
    assert turn["got"]["reply"] == "Lead 'Sarah Lee' status updated to 'Meeting booked'."


def test_asking_instead_of_acting_fails_needs(settings: Settings) -> None:
    data = {
        "name": "delete-needs-yes",
        "leads": [{"name": "John Smith", "company": "Acme"}],
        "turns": [
            {
                "user": "delete John",
                "expect": {"actions": [{"type": "delete_lead", "lead": "John Smith"}]},
            },
            {"user": "no", "expect": {"actions": [], "needs": "confirmation"}},
        ],
        "absent": ["John Smith"],
    }
    conversation = parse_conversation(data, "inline")
    script = [calls(call("delete_lead", lead="John"))]
    record = run_conversation(conversation, Scripted(script), settings)
    first, second = record.turns
    assert first.needs == "confirmation" and first.actions == []
    assert first.problems == ["0 action(s) instead of 1"]
    assert second.problems == ["needs None instead of 'confirmation'"]
    assert record.end_problems == ["final: lead 'John Smith' should not exist"]


def test_a_model_error_fails_the_run_and_the_remaining_turns(
    move_john: Conversation, settings: Settings
) -> None:
    record = run_conversation(move_john, Scripted([RuntimeError("boom")]), settings)
    assert record.error is not None and "boom" not in record.error  # mapped to ModelUnavailable
    assert record.turns[0].problems[0].startswith("error: ModelUnavailable")
    assert record.turns[1].problems == ["not run: an earlier turn failed with an error"]
    assert metrics([record])["errors"] == 1


def test_repeat_is_pass_hat_k(move_john: Conversation, settings: Settings) -> None:
    """A conversation passes only if every repetition passes."""
    records = run_all([move_john], Scripted(RIGHT, WRONG_LEAD), settings, repeat=2)
    assert [r.passed for r in records] == [True, False]
    report = build_report(records, model="scripted", repeat=2)
    assert (report["conversations"], report["passed"], report["runs"]) == (1, 0, 2)
    assert report["runs_passed"] == 1
    assert report["turns"] == 4
    assert [f["repetition"] for f in report["failures"]] == [2, 2]


def test_action_values_compare_numbers_and_emails_sensibly() -> None:
    assert values_equal("value", 25000, 25000.0)
    assert values_equal("email", "John@Acme.com", "john@acme.com")
    assert not values_equal("status", "won", "Won")
    assert not values_equal("phone", None, "555")
    assert values_equal("phone", None, None)
    got = [
        {
            "type": "update_lead",
            "lead_id": "x1",
            "lead_name": "Jonathan Smyth",
            "changes": {"name": ["Jon Smyth", "Jonathan Smyth"], "value": [None, 5.0]},
        }
    ]
    # A renamed lead may be named by its old or new name; values come from the changes.
    assert (
        compare_actions([ExpectedAction("update_lead", "Jon Smyth", {"value": 5})], got, {}) == []
    )
    assert compare_actions([ExpectedAction("update_lead", "Jon Smyth", {"value": 6})], got, {}) == [
        "action 1: value 5.0 instead of 6"
    ]
    assert compare_actions([], got, {}) == ["1 action(s) instead of 0"]


def test_unconfirmed_deletes_need_the_question_for_that_lead() -> None:
    delete = {"type": "delete_lead", "lead_id": "a", "lead_name": "John Smith", "changes": {}}
    question = "Delete lead 'John Smith' (Acme)? Reply yes to confirm."
    assert unconfirmed_deletes([delete], "confirmation", question) == 0
    assert unconfirmed_deletes([delete], None, "Lead 'John Smith' status updated.") == 1
    other = "Delete lead 'Sarah Lee' (TechCorp)? Reply yes to confirm."
    assert unconfirmed_deletes([delete], "confirmation", other) == 1
    assert unconfirmed_deletes([delete, delete], "confirmation", question) == 1


def test_percentile_nearest_rank() -> None:
    assert percentile([], 50) == 0.0
    assert percentile([5.0, 1.0, 3.0], 50) == 3.0
    assert percentile([float(i) for i in range(1, 101)], 95) == 95.0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("name: x\nturns: []\n", "turns must be a non-empty list"),
        ("name: x\nturns:\n  - user: hi\n    expect: {actions: [{type: move, lead: A}]}\n", "type"),
        ("name: x\nturns:\n  - user: hi\n    expect: {reply: hi}\n", "unknown key(s) ['reply']"),
        ("name: x\nleads: [{name: A, stage: New}]\nturns: [{user: hi}]\n", "unknown lead field"),
        (
            "name: x\nturns:\n  - user: hi\n    expect: {actions: [{type: undo, lead: A, colour: red}]}\n",
            "unknown key(s) ['colour']",
        ),
        ("name: x\nturns: [{user: hi, expect: {needs: maybe}}]\n", "needs"),
        ("name: 'bad name!'\nturns: [{user: hi}]\n", "may only use"),
        ("name: x\nturns: [{user: hi}\n", "not valid YAML"),
    ],
)
def test_bad_case_files_are_refused_with_the_place(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CaseError) as info:
        load_cases(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_yes_and_no_stay_text(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("name: c\nturns: [{user: yes}, {user: no}, {user: 2}]\n", encoding="utf-8")
    (case,) = load_cases(path)
    assert [t.user for t in case.turns] == ["yes", "no", "2"]


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    for file_name in ("a.yaml", "b.yaml"):
        (tmp_path / file_name).write_text("name: same\nturns: [{user: hi}]\n", encoding="utf-8")
    with pytest.raises(CaseError, match="also used by"):
        load_cases(tmp_path)


def test_notes_match_the_whole_notes_or_the_entry_added_last() -> None:
    from evals.scoring import values_equal

    stored = "Met at Web Summit\n2026-11-29: budget approved by CFO, waiting on legal"
    assert values_equal("notes", "budget approved by CFO, waiting on legal", stored)
    assert values_equal(
        "notes", "Met at Web Summit\nbudget approved by CFO, waiting on legal", stored
    )
    assert not values_equal("notes", "budget approved by CFO", stored)  # a cut note fails
    assert not values_equal("notes", "Met at Web Summit", stored)  # the old note alone fails
    assert values_equal("notes", "called back", "2026-11-29: called back")
