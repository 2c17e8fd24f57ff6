"""A create without a name asks for it; totals of the open pipeline and of one stage; gaps
and field look-ups (grammar phrasings and the nodes behind them)."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.messages import AIMessage

from agent_service.graph.agent import ChatAgent
from agent_service.graph.models.commands import CommandParser
from agent_service.graph.nodes.ask import is_create_yes, name_and_details, name_answer
from agent_service.graph.nodes.query import closed_stages
from agent_service.graph.tools import create_lead
from agent_service.leads.models import Pipeline
from agent_service.leads.sqlite import SqliteLeadStore
from agent_service.settings import DEFAULT_STAGES, Settings
from tests.utils.models import ScriptedChatModel, call, calls

PARSER = CommandParser(DEFAULT_STAGES)


@pytest.fixture
def store(tmp_path: Path) -> SqliteLeadStore:
    store = SqliteLeadStore(tmp_path / "crm.sqlite3", Pipeline(DEFAULT_STAGES))
    store.migrate()
    for name, company, status, value in [
        ("Aarav Singh", "Jaipur Gems", "New", 10000),
        ("Camille Laurent", "Lille Logistics", "Contacted", 25000),
        ("Rhys Morgan", "Swansea Surf", "Meeting booked", 7500),
        ("Ewa Nowicka", "Poznan Print", "Proposal sent", None),
        ("Owen Davies", "Cardiff Games", "Won", 50000),
        ("Lucia Marin", "Valencia Tiles", "Lost", 8000),
    ]:
        store.create({"name": name, "company": company, "status": status, "value": value})
    return store


def agent(store: SqliteLeadStore, *script: AIMessage) -> ChatAgent:
    model = ScriptedChatModel(script=list(script))
    return ChatAgent(store, model, Settings(crm_model="offline"))


# -- create without a name ----------------------------------------------------------------------


def test_create_lead_schema_allows_no_name() -> None:
    assert create_lead.model_validate({"company": "Stripe"}).name is None


@pytest.mark.parametrize(
    ("message", "fields"),
    [
        ("new lead at Helios Solar, 25k deal", {"company": "Helios Solar", "value": 25000}),
        (
            "add a lead from Stripe, email billing@stripe.com",
            {"company": "Stripe", "email": "billing@stripe.com"},
        ),
        (
            "add a lead from globex, email info@globex.com, about 10k",
            {"company": "Globex", "email": "info@globex.com", "value": 10000},
        ),
        ("create a new contact with email jo@acme.io", {"email": "jo@acme.io"}),
        ("new lead from Stripe, phone 555-0100", {"company": "Stripe", "phone": "555-0100"}),
        ("add lead, company Globex, value 10k", {"company": "Globex", "value": 10000}),
        ("new lead: acme corp, 30k", {"company": "Acme Corp", "value": 30000}),
        ("please add a new lead from Initech, 12k", {"company": "Initech", "value": 12000}),
        ("add a lead at Acme Corp", {"company": "Acme Corp"}),
        ("new lead at Acme, met at expo", {"company": "Acme"}),  # "met" is no name
    ],
)
def test_grammar_emits_a_create_without_a_name(message: str, fields: dict) -> None:
    [(tool, args)] = PARSER.parse(message).calls
    assert tool == "create_lead" and "name" not in args
    assert {k: v for k, v in args.items() if k != "confirm_first"} == fields


def test_a_named_create_keeps_its_name() -> None:
    [(tool, args)] = PARSER.parse("add Aisha Bello from Meridian Solar").calls
    assert (tool, args["name"], args["company"]) == ("create_lead", "Aisha Bello", "Meridian Solar")
    assert PARSER.parse("add new lead").calls == [("create_lead", {})]  # the node asks the name


@pytest.mark.parametrize(
    ("answer", "name", "sure"),
    [
        ("Amara Obi", "Amara Obi", True),
        ("oh sorry its Amara Obi", "Amara Obi", True),
        ("contact's name is Pieter Jansen", "Pieter Jansen", True),
        ("name's Pieter Jansen", "Pieter Jansen", True),
        ("her name is Amara Obi", "Amara Obi", True),
        ("it's Pieter de Boer, thanks", "Pieter de Boer", True),
        ("the name is amara obi", "Amara Obi", True),
        ("call him Tom Baker", "Tom Baker", True),
        ("amara obi", "Amara Obi", False),
        ("Amara", "Amara", True),
    ],
)
def test_name_answers(answer: str, name: str, sure: bool) -> None:
    assert name_answer(answer) == (name, sure)


@pytest.mark.parametrize(
    "answer",
    ["show me the won deals", "undo", "who is in Won?", "move Tom to Won", "no", "amara", "help"],
)
def test_answers_that_are_no_name(answer: str) -> None:
    assert name_answer(answer) is None


def test_nameless_create_asks_then_creates_with_the_name(store: SqliteLeadStore) -> None:
    a = agent(store, calls(call("create_lead", company="Helios Solar", value=25000)))
    before = store.count()
    asked = a.send("t", "new lead at Helios Solar, 25k deal")
    assert asked.needs == "confirmation" and asked.actions == []
    assert "Helios Solar" in asked.reply and "name" in asked.reply
    assert store.count() == before
    done = a.send("t", "oh sorry its Amara Obi")
    [created] = done.actions
    assert created["type"] == "create_lead" and "Amara Obi" in done.reply
    lead = store.search("Amara Obi")[0].lead
    assert (lead.name, lead.company, lead.value) == ("Amara Obi", "Helios Solar", 25000)
    assert a.pending("t") is None


def test_nameless_create_cancelled(store: SqliteLeadStore) -> None:
    a = agent(store, calls(call("create_lead", company="Stripe", email="billing@stripe.com")))
    before = store.count()
    assert a.send("t", "add a lead from Stripe, email billing@stripe.com").needs == "confirmation"
    result = a.send("t", "cancel")
    assert result.actions == [] and "not created" in result.reply
    assert store.count() == before


def test_nameless_create_yes_asks_again_and_never_writes(store: SqliteLeadStore) -> None:
    a = agent(store, calls(call("create_lead", company="Stripe")))
    before = store.count()
    a.send("t", "add a lead from Stripe")
    assert a.send("t", "yes").needs == "confirmation"
    assert store.count() == before


def test_nameless_create_then_unrelated_request(store: SqliteLeadStore) -> None:
    a = agent(
        store,
        calls(call("create_lead", company="Stripe")),
        calls(call("find_leads", status="Won")),
    )
    before = store.count()
    a.send("t", "add a lead from Stripe")
    result = a.send("t", "who is in Won?")
    assert "Owen Davies" in result.reply and result.actions == []
    assert store.count() == before and a.pending("t") is None


def test_a_lower_case_name_answer_is_confirmed_first(store: SqliteLeadStore) -> None:
    a = agent(store, calls(call("create_lead", company="Stripe")))
    before = store.count()
    a.send("t", "add a lead from Stripe")
    asked = a.send("t", "amara obi")
    assert asked.needs == "confirmation" and "Amara Obi" in asked.reply
    assert store.count() == before
    assert a.send("t", "yes").actions[0]["type"] == "create_lead"


# -- totals ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        "what's the pipeline worth?",
        "whole pipeline",
        "open pipeline",
        "whats the whole pipeline worth rn",
        "how much is the pipeline worth right now",
        "pipeline value",
        "total pipeline value",
        "how much money is in the funnel",
        "what's our open pipeline at",
        "sum of all deals",
        "and what's the total value of the pipeline?",
        "value of the whole board",
    ],
)
def test_open_pipeline_phrasings(message: str) -> None:
    assert PARSER.parse(message).calls == [("find_leads", {"open_only": True})]


@pytest.mark.parametrize(
    ("message", "stage"),
    [
        ("total $ of won deals?", "Won"),
        ("how much did we lose", "Lost"),
        ("and how much did we lose", "Lost"),
        ("how much have we closed", "Won"),
        ("how much have we closed so far?", "Won"),
        ("what have we won this year", "Won"),
        ("how much business did we lose this quarter", "Lost"),
        ("total value in Proposal sent", "Proposal sent"),
        ("what's Contacted worth", "Contacted"),
        ("how much money is sitting in meeting booked", "Meeting booked"),
        ("sum of the proposal sent deals", "Proposal sent"),
        ("what's our total revenue from won deals", "Won"),
        ("whats the total value of everything in proposal sent rn", "Proposal sent"),
        ("how many in New", "New"),
        ("# of leads in won", "Won"),
        ("number of deals in Contacted?", "Contacted"),
    ],
)
def test_stage_total_phrasings(message: str, stage: str) -> None:
    assert PARSER.parse(message).calls == [("find_leads", {"status": stage})]


@pytest.mark.parametrize("message", ["what's Wong worth", "how much is the Acme deal worth"])
def test_a_lead_worth_is_no_stage_total(message: str) -> None:
    assert all(args.get("status") is None for _, args in PARSER.parse(message).calls)


def test_totals_question_inside_chatter() -> None:
    message = (
        "honestly this quarter is brutal, my manager keeps asking for numbers. whats the total "
        "value of everything in proposal sent rn? need it before standup"
    )
    assert PARSER.parse(message).calls == [("find_leads", {"status": "Proposal sent"})]


def test_closed_stages_come_from_the_pipeline() -> None:
    assert closed_stages(Pipeline(DEFAULT_STAGES)) == ["Won", "Lost"]
    custom = Pipeline(["Lead", "Demo", "Closed won", "Closed lost", "Churned"])
    assert closed_stages(custom) == ["Closed won", "Closed lost", "Churned"]


def test_open_pipeline_sums_only_open_stages(store: SqliteLeadStore) -> None:
    a = agent(store, calls(call("find_leads", open_only=True)))
    reply = a.send("t", "what's the pipeline worth?").reply
    assert reply.startswith("Open pipeline (New … Proposal sent): $42,500 over 4 leads")
    assert "Won $50,000 (1 lead)" in reply and "Lost $8,000 (1 lead)" in reply
    assert "all stages together $100,500" in reply


# -- gaps and field look-ups ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ("who's missing an email?", "email"),
        ("who's missing an email? need to clean up before the sequence goes out", "email"),
        ("which leads don't have a phone number", "phone"),
        ("leads without email", "email"),
        ("who has no phone", "phone"),
        ("which contacts are missing phone numbers?", "phone"),
        ("anyone without a company", "company"),
        ("who doesn't have an email address yet", "email"),
        ("leads with no deal value", "value"),
        ("show me leads missing emails", "email"),
    ],
)
def test_missing_field_phrasings(message: str, field: str) -> None:
    assert PARSER.parse(message).calls == [("find_leads", {"text": f"no {field}"})]


@pytest.mark.parametrize(
    ("message", "lead", "field"),
    [
        ("whats kai andersons phone", "kai andersons", "phone"),
        ("what's the email for Kai Anderson", "Kai Anderson", "email"),
        ("Kai's number?", "Kai", "phone"),
        ("what's Tom worth", "Tom", "value"),
        ("kai andersons number?", "kai andersons", "phone"),
        ("whats kai andersons email address", "kai andersons", "email"),
        ("got a phone for kai anderson?", "kai anderson", "phone"),
        ("have we got an email for Kai", "Kai", "email"),
        ("what number do we have for Kai", "Kai", "phone"),
        ("phone for Kai?", "Kai", "phone"),
        ("email of Kai Anderson", "Kai Anderson", "email"),
    ],
)
def test_field_lookups(message: str, lead: str, field: str) -> None:
    assert PARSER.parse(message).calls == [("find_leads", {"lead": lead, "field": field})]


@pytest.mark.parametrize(
    ("message", "lead", "field"),
    [
        ("add a deal value of 5k to Tom", "Tom", "value"),
        ("add deal value 5k for Sarah", "Sarah", "value"),
        ("new deal value for Tom is 20k", "Tom", "value"),
    ],
)
def test_a_field_of_a_lead_is_no_nameless_create(message: str, lead: str, field: str) -> None:
    [(tool, args)] = PARSER.parse(message).calls
    assert tool == "update_lead" and args["lead"] == lead and field in args


@pytest.mark.parametrize(
    ("message", "name", "company"),
    [
        ("new contact at Acme: Jane Roe, jane@acme.com", "Jane Roe", "Acme"),
        ("new lead from Globex called Pat Kim", "Pat Kim", "Globex"),
        ("new lead from globex called pat kim", "Pat Kim", "Globex"),
        ("add a lead from Stripe, Jane Doe, jane@stripe.com", "Jane Doe", "Stripe"),
    ],
)
def test_a_name_after_the_details_is_the_name(message: str, name: str, company: str) -> None:
    [(tool, args)] = PARSER.parse(message).calls
    assert (tool, args["name"], args["company"]) == ("create_lead", name, company)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "Tom signed today. what's the pipeline worth?",
            [
                ("change_status", {"lead": "Tom", "status": "Won"}),
                ("find_leads", {"open_only": True}),
            ],
        ),
        (
            "what's the pipeline worth? also Sarah signed",
            [
                ("find_leads", {"open_only": True}),
                ("change_status", {"lead": "Sarah", "status": "Won"}),
            ],
        ),
        (
            "move Tom to Won and how much did we lose?",
            [
                ("change_status", {"lead": "Tom", "status": "Won"}),
                ("find_leads", {"status": "Lost"}),
            ],
        ),
    ],
)
def test_a_totals_question_beside_a_request_keeps_the_request(message: str, expected: list) -> None:
    assert PARSER.parse(message).calls == expected


@pytest.mark.parametrize(
    ("answer", "confirmed"),
    [
        ("yes go ahead, they share the generic inbox", True),
        ("yes add it, she is the new cfo", True),
        ("ok, they work together", True),
        ("yes its a different alex, add it anyway", True),
        ("yes, but change the email to x@y.com", False),
        ("yes it is the same person", False),
        ("yes go ahead and update paulo instead", False),
        ("yes, no wait", False),
    ],
)
def test_a_create_confirmed_with_a_reason(answer: str, confirmed: bool) -> None:
    assert is_create_yes(answer) is confirmed


def test_a_name_answer_may_bring_an_email(store: SqliteLeadStore) -> None:
    a = agent(store, calls(call("create_lead", company="Helios Solar")))
    a.send("t", "new lead at Helios Solar")
    done = a.send("t", "Amara Obi, amara@helios.com")
    assert [x["type"] for x in done.actions] == ["create_lead"]
    lead = store.search("Amara Obi")[0].lead
    assert (lead.company, lead.email) == ("Helios Solar", "amara@helios.com")


def test_a_name_answer_with_a_remark_is_a_new_request() -> None:
    assert name_and_details("Amara Obi, she is the CFO") is None
