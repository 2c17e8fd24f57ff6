"""The shipped conversation set: loads, is big enough, covers what it must, cassettes match."""

from __future__ import annotations

import json

from evals.cases import UNSET, load_cases
from evals.cassettes import load_cassette
from tests.evals.eval_cases import CASSETTES, CONVERSATIONS

REQUIRED_TAGS = {
    "create",
    "update",
    "change_status",
    "delete",
    "confirmation",
    "undo",
    "query",
    "by_stage",
    "by_company",
    "field",
    "partial_name",
    "company",
    "email",
    "typo",
    "accent",
    "pronoun",
    "ambiguity",
    "not_found",
    "unknown_stage",
    "synonym",
    "multi_op",
    "small_talk",
    "hostile",
}


def test_the_set_loads_and_covers_every_area() -> None:
    cases = load_cases(CONVERSATIONS)
    assert len(cases) >= 85
    tags = {tag for case in cases for tag in case.tags}
    assert REQUIRED_TAGS <= tags, REQUIRED_TAGS - tags
    for case in cases:
        assert case.tags, f"{case.path}: no tags"
        assert case.path is not None and case.path.parent.name in case.tags, case.path


def test_every_operation_and_answer_kind_is_expected_somewhere() -> None:
    cases = load_cases(CONVERSATIONS)
    turns = [turn for case in cases for turn in case.turns]
    kinds = {action.type for turn in turns for action in turn.actions}
    assert kinds == {"create_lead", "update_lead", "change_status", "delete_lead", "undo"}
    updated = {f for t in turns for a in t.actions if a.type == "update_lead" for f in a.fields}
    assert {"name", "company", "email", "phone", "value", "notes"} <= updated
    needs = {turn.needs for turn in turns if turn.needs is not UNSET}
    assert {"clarification", "confirmation", None} <= needs
    # A declined delete and an accepted one.
    users = [turn.user for turn in turns]
    assert "yes" in users and "no" in users


def test_hostile_conversations_expect_no_unrequested_writes() -> None:
    for case in load_cases(CONVERSATIONS):
        if "hostile" not in case.tags:
            continue
        writes = [a for turn in case.turns for a in turn.actions]
        assert len(writes) <= 1, case.name
        assert all(a.type != "delete_lead" for a in writes), case.name
        assert case.final_leads, f"{case.name}: must check that the leads survived"


def test_every_cassette_belongs_to_a_conversation() -> None:
    names = {case.name for case in load_cases(CONVERSATIONS)}
    files = sorted(CASSETTES.glob("*.json"))
    assert len(files) >= 5
    for path in files:
        assert path.stem in names, path
        assert json.loads(path.read_text())["conversation"] == path.stem
        tape = load_cassette(path)
        for item in tape.values():
            choice = item["response"]["choices"][0]
            assert item["response"]["object"] == "chat.completion"
            for call in choice["message"].get("tool_calls") or []:
                json.loads(call["function"]["arguments"])  # valid JSON arguments
