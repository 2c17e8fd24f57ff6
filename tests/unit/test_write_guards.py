"""The action nodes' guards, on either model: duplicates, invalid values, dated notes, and
confirming a write the model was unsure of (`confirm_first`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.messages import AIMessage

from agent_service.graph.agent import ChatAgent
from agent_service.graph.nodes.ask import _IN_STAGE, is_create_yes
from agent_service.graph.nodes.guards import append_note, describe_lead, invalid_value
from agent_service.leads.models import Pipeline
from agent_service.leads.sqlite import SqliteLeadStore
from agent_service.settings import DEFAULT_STAGES, Settings
from tests.utils.models import ScriptedChatModel, call, calls


@pytest.fixture
def store(tmp_path: Path) -> SqliteLeadStore:
    store = SqliteLeadStore(tmp_path / "crm.sqlite3", Pipeline(DEFAULT_STAGES))
    store.migrate()
    store.create({"name": "Sarah Lee", "company": "TechCorp", "email": "sarah@techcorp.io"})
    store.create({"name": "Tom Novak", "company": "Novak Freight", "value": 22000, "notes": "x"})
    return store


def agent(store: SqliteLeadStore, *script: AIMessage) -> ChatAgent:
    model = ScriptedChatModel(script=list(script))
    return ChatAgent(store, model, Settings(crm_model="offline"))


def names(store: SqliteLeadStore) -> list[str]:
    return sorted(lead.name for lead in store.list())


def test_same_person_at_same_company_asks_first(store: SqliteLeadStore) -> None:
    a = agent(store, calls(call("create_lead", name="Sarah", company="TechCorp")))
    result = a.send("t", "Add new lead Sarah from TechCorp")
    assert result.needs == "confirmation" and result.actions == []
    assert "There is already Sarah Lee at TechCorp" in result.reply
    assert names(store) == ["Sarah Lee", "Tom Novak"]
    result = a.send("t", "add another")
    assert [x["lead_name"] for x in result.actions] == ["Sarah"]
    assert names(store) == ["Sarah", "Sarah Lee", "Tom Novak"]


def test_same_email_asks_first_and_no_cancels(store: SqliteLeadStore) -> None:
    a = agent(store, calls(call("create_lead", name="S. Lee", email="Sarah@TechCorp.io")))
    assert a.send("t", "add S. Lee sarah@techcorp.io").needs == "confirmation"
    result = a.send("t", "no")
    assert result.reply == "Lead 'S. Lee' was not created." and result.actions == []
    assert names(store) == ["Sarah Lee", "Tom Novak"]


def test_a_different_person_is_created_without_a_question(store: SqliteLeadStore) -> None:
    a = agent(store, calls(call("create_lead", name="Sam Ortiz", company="TechCorp")))
    result = a.send("t", "add Sam Ortiz from TechCorp")
    assert result.needs is None and result.actions[0]["lead_name"] == "Sam Ortiz"


def test_confirm_first_shows_the_lead_and_writes_only_after_yes(store: SqliteLeadStore) -> None:
    a = agent(
        store,
        calls(
            call(
                "create_lead",
                name="Aisha Bello",
                company="Meridian Solar",
                value=45000,
                confirm_first=True,
            )
        ),
    )
    result = a.send("t", "Aisha Bello Meridian Solar 45k something")
    assert result.reply == (
        "Create lead 'Aisha Bello' (Meridian Solar, $45,000)? Reply yes or correct me."
    )
    assert result.needs == "confirmation" and names(store) == ["Sarah Lee", "Tom Novak"]
    assert a.send("t", "yes").actions[0]["changes"]["value"] == [None, 45000]
    assert "Aisha Bello" in names(store)


def test_negative_value_is_refused_never_altered(store: SqliteLeadStore) -> None:
    a = agent(store, calls(call("update_lead", lead="Tom", value=-5000)))
    result = a.send("t", "set novak's value to -5000")
    assert result.reply == (
        "I couldn't update lead 'Tom Novak': the deal value can't be negative (-5,000). "
        "Nothing was changed."
    )
    assert result.actions == [] and store.search("Tom Novak")[0].lead.value == 22000


def test_negative_value_on_create_is_refused(store: SqliteLeadStore) -> None:
    a = agent(store, calls(call("create_lead", name="Ann Bee", value=-1)))
    assert "can't be negative" in a.send("t", "add Ann Bee -1").reply
    assert names(store) == ["Sarah Lee", "Tom Novak"]


def test_notes_are_appended_with_a_date_unless_replaced(store: SqliteLeadStore) -> None:
    a = agent(
        store,
        calls(call("update_lead", lead="Tom", notes="called back")),
        calls(call("update_lead", lead="Tom", notes="fresh start", replace_notes=True)),
    )
    a.send("t", "note for Tom: called back")
    notes = store.search("Tom Novak")[0].lead.notes
    assert notes.startswith("x\n") and notes.endswith(": called back")
    a.send("t", "replace Tom's notes with: fresh start")
    assert store.search("Tom Novak")[0].lead.notes == "fresh start"


def test_confirm_first_update_waits_for_yes(store: SqliteLeadStore) -> None:
    a = agent(store, calls(call("update_lead", lead="Tom", company="X Labs", confirm_first=True)))
    result = a.send("t", "Tom moved to X Labs I think")
    assert result.needs == "confirmation" and "company → 'X Labs'" in result.reply
    assert store.search("Tom Novak")[0].lead.company == "Novak Freight"
    assert a.send("t", "no").reply == "Lead 'Tom Novak' was not changed."
    assert store.search("Tom Novak")[0].lead.company == "Novak Freight"


def test_guard_helpers() -> None:
    assert invalid_value({"value": -1}) and invalid_value({"value": float("nan")})
    assert invalid_value({"value": 0}) is None and invalid_value({}) is None
    assert append_note(None, "hi", "2026-11-29") == "2026-11-29: hi"
    assert append_note("old", "hi", "2026-11-29") == "old\n2026-11-29: hi"
    assert describe_lead({"name": "A B", "value": 10.5}) == "'A B' ($10.50)"


def test_listing_sums_values_and_finds_missing_fields(store: SqliteLeadStore) -> None:
    store.create({"name": "Ann Bee", "value": 1000, "phone": "555-0100"})
    a = agent(store, calls(call("find_leads")), calls(call("find_leads", text="no phone")))
    assert a.send("t", "what's the pipeline worth?").reply.startswith(
        "3 leads in the pipeline, total value 23,000:"
    )
    reply = a.send("t", "which leads have no phone?").reply
    assert reply.startswith("2 leads with no phone number") and "Ann Bee" not in reply


def test_a_candidate_is_picked_by_its_stage(store: SqliteLeadStore) -> None:
    from agent_service.graph.nodes.ask import pick_choice

    won = store.create({"name": "Tom Baker", "status": "Won"})
    tom = store.search("Tom Novak")[0].lead
    choices = [{"lead_id": tom.id, "label": "Tom Novak"}, {"lead_id": won.id, "label": "Tom B"}]
    assert pick_choice("the one in Won", choices, store) == won.id
    assert pick_choice("the one in Lost", choices, store) is None


@pytest.mark.parametrize(
    ("answer", "confirms"),
    [
        ("yes it's a different alex, add it anyway", True),
        ("yes, they're different people", True),
        ("add it anyway", True),
        ("it's a different alex", False),  # a reason alone is no yes
        ("yes it's a different alex, update his email", False),
    ],
)
def test_a_duplicate_create_confirmed_with_a_reason(answer: str, confirms: bool) -> None:
    assert is_create_yes(answer) is confirms


@pytest.mark.parametrize(
    ("answer", "stage"),
    [("the contacted one", "contacted"), ("the one in won", "won"), ("the acme one", "acme")],
)
def test_a_candidate_picked_by_stage_names_the_stage(answer: str, stage: str) -> None:
    match = _IN_STAGE.match(answer)
    assert match is not None and (match.group("s") or match.group("s2")) == stage
