"""The free-order create reader (`grammar/create_card.py`) and the follow-ups added with it,
through the reader alone and through the whole graph with the offline model."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent_service.graph.agent import ChatAgent
from agent_service.graph.models.grammar.create_card import reader_for
from agent_service.graph.models.grammar.recognizers import parse_money
from agent_service.graph.models.offline import OfflineChatModel
from agent_service.leads.models import Pipeline
from agent_service.leads.sqlite import SqliteLeadStore
from agent_service.settings import DEFAULT_STAGES, Settings

READ = reader_for(DEFAULT_STAGES)


@pytest.mark.parametrize(
    ("message", "fields"),
    [
        (
            "25k opp, cto @ Tunde Systems, name's Emeka Okafor, emeka@tundesystems.ng. just had"
            " the disco call so stick him in contacted",
            {
                "name": "Emeka Okafor",
                "company": "Tunde Systems",
                "email": "emeka@tundesystems.ng",
                "value": 25000,
                "status": "Contacted",
            },
        ),
        (
            "new lead pls - Valentina Rossi, vp ops at Ferrante Logistica too,"
            " valentina.rossi@ferrante.it, +39 02 8734 1120, deal's around 40k, already spoke so"
            " put her in contacted",
            {
                "name": "Valentina Rossi",
                "company": "Ferrante Logistica",
                "email": "valentina.rossi@ferrante.it",
                "phone": "+39 02 8734 1120",
                "value": 40000,
                "status": "Contacted",
            },
        ),
        (
            "create: Zanele Dlamini | Ubuntu Analytics | zanele@ubuntuanalytics.co.za | 30,000",
            {
                "name": "Zanele Dlamini",
                "company": "Ubuntu Analytics",
                "email": "zanele@ubuntuanalytics.co.za",
                "value": 30000,
            },
        ),
        (
            "Create one new lead. Name Arjun Pillai, working in Kerala Spices Export, mobile +91"
            " 98470 12345, deal 40 thousand dollars, meeting already booked for monday",
            {
                "name": "Arjun Pillai",
                "company": "Kerala Spices Export",
                "phone": "+91 98470 12345",
                "value": 40000,
                "status": "Meeting booked",
            },
        ),
        (
            "Add new lead Vikram Nair (vikram@tatvasoft.in) at Tatva Soft, mob +91 98450 12345."
            " Already contacted him on linkedin",
            {
                "name": "Vikram Nair",
                "company": "Tatva Soft",
                "email": "vikram@tatvasoft.in",
                "phone": "+91 98450 12345",
                "status": "Contacted",
            },
        ),
        (
            "got a hot one from the expo 🔥 Mitchell O'Brien, runs Saltbush Coffee Roasters, mob"
            " 0412 345 678, wants a quote for about 12 grand. just chuck him in as New for now",
            {
                "name": "Mitchell O'Brien",
                "company": "Saltbush Coffee Roasters",
                "phone": "0412 345 678",
                "value": 12000,
                "status": "New",
            },
        ),
        (
            "pls add lead - company Brightwater Solar, contact is Isla McAllister, email"
            " isla.m@brightwatersolar.co.uk, deal about 22k, we've sent them the proposal already",
            {
                "name": "Isla McAllister",
                "company": "Brightwater Solar",
                "email": "isla.m@brightwatersolar.co.uk",
                "value": 22000,
                "status": "Proposal sent",
            },
        ),
        (
            "add new lead: Ben Carter from Hollis & Co, ben@hollisco.com",
            {"name": "Ben Carter", "company": "Hollis & Co", "email": "ben@hollisco.com"},
        ),
    ],
)
def test_every_piece_placed_is_a_sure_create(message: str, fields: dict) -> None:
    card = READ.read(message)
    assert card is not None and card.unplaced == [] and not card.unsure
    assert card.call() == ("create_lead", fields)


@pytest.mark.parametrize(
    ("message", "unplaced"),
    [
        ("new lead Tom Baker, wants a demo in march", ["wants a demo in march"]),
        ("new lead: Rosa Diaz, Nakatomi Trading, 20-30k", ["20-30k"]),  # a range: never a guess
    ],
)
def test_a_piece_nothing_places_is_asked_about_never_stored(message: str, unplaced: list) -> None:
    card = READ.read(message)
    assert card is not None and card.unplaced == unplaced
    name, args = card.call()
    assert args["confirm_first"] is True
    assert all(piece not in map(str, args.values()) for piece in unplaced)


@pytest.mark.parametrize(
    "message",
    [
        "can u spin up a new lead real quick",
        "kindly add one new lead",
        "add a new lead from Kestrel Analytics, ~15k, email ops@kestrelanalytics.com",
    ],
)
def test_no_name_means_no_name(message: str) -> None:
    card = READ.read(message)
    assert card is not None and "name" not in card.fields and not card.unplaced


@pytest.mark.parametrize(
    "message",
    [
        "move the new lead to contacted",
        "add a note to the new lead: wants a demo",
        "how do I add a new lead?",
        "did I add a new lead for Acme yesterday?",
        "move Sarah to Won",
    ],
)
def test_no_request_to_create_is_no_card(message: str) -> None:
    assert READ.read(message) is None


def test_two_emails_are_no_card() -> None:
    assert READ.read("new lead Ana Silva, ana@a.com, ana@b.com") is None


@pytest.mark.parametrize(
    ("answer", "fields"),
    [
        (
            "oh duh, Haruka Sato from Mizuho Robotics",
            {"name": "Haruka Sato", "company": "Mizuho Robotics"},
        ),
        ("Kelechi Nwosu, Owerri Paints", {"name": "Kelechi Nwosu", "company": "Owerri Paints"}),
        ("contact person is Tunde Bakare", {"name": "Tunde Bakare"}),
    ],
)
def test_answers_to_the_name_question(answer: str, fields: dict) -> None:
    card = READ.read(answer, answer=True)
    assert card is not None and card.fields == fields and not card.unplaced


@pytest.mark.parametrize(
    ("text", "value"),
    [("lachlan's deal - 12,500 bucks", 12500), ("put -5000 on x", -5000), ("minus 5k", -5000)],
)
def test_a_dash_before_an_amount_is_no_minus_sign(text: str, value: float) -> None:
    assert parse_money(text) == value


@pytest.fixture
def agent(tmp_path: Path) -> tuple[ChatAgent, SqliteLeadStore]:
    store = SqliteLeadStore(tmp_path / "crm.sqlite3", Pipeline(DEFAULT_STAGES))
    store.migrate()
    for name, company, stage in [
        ("Owen Pryce", "Cardiff Cyber", "Meeting booked"),
        ("Fatima Zahra Benali", "Atlas Cargo", "Meeting booked"),
        ("Rohan Mehta", "Mehta Textiles", "New"),
        ("Adaeze Okafor", "Zenith Logistics", "Contacted"),
        ("Ebuka Nnaji", "Interswitch", "Contacted"),
        ("Diego Alvarez", "Stripe", "Meeting booked"),
    ]:
        store.create({"name": name, "company": company, "status": stage})
    return ChatAgent(store, OfflineChatModel(), Settings(crm_model="offline")), store


def _lead(store: SqliteLeadStore, name: str):
    return next(lead for lead in store.list() if lead.name == name)


def test_a_free_order_create_through_the_graph(agent) -> None:
    chat, store = agent
    result = chat.send(
        "t",
        "20k deal, email fernanda@sabordoce.com.br, company is Sabor Doce - pls add her as new"
        " lead, name Fernanda Alves",
    )
    assert [a["type"] for a in result.actions] == ["create_lead"]
    lead = _lead(store, "Fernanda Alves")
    assert (lead.company, lead.email, lead.value) == (
        "Sabor Doce",
        "fernanda@sabordoce.com.br",
        20000,
    )


def test_a_nameless_create_then_the_name_with_its_company(agent) -> None:
    chat, store = agent
    asked = chat.send("t", "can u spin up a new lead real quick")
    assert asked.needs == "clarification" and asked.actions == []
    created = chat.send("t", "oh duh, Haruka Sato from Mizuho Robotics")
    assert [a["type"] for a in created.actions] == ["create_lead"]
    assert _lead(store, "Haruka Sato").company == "Mizuho Robotics"


def test_the_pronoun_goes_to_the_lead_named_last(agent) -> None:
    chat, store = agent
    chat.send(
        "t",
        "ugh, my laptop died mid-demo with owen's team lol. anyway fatima's team asked for"
        " pricing so i sent the proposal, can you move her to proposal sent",
    )
    assert _lead(store, "Fatima Zahra Benali").status == "Proposal sent"
    assert _lead(store, "Owen Pryce").status == "Meeting booked"  # never the earlier one


def test_and_another_lead_repeats_the_previous_move(agent) -> None:
    chat, store = agent
    chat.send("t", "push adaeze to meeting booked")
    result = chat.send("t", "and rohan to contacted also")
    assert [a["type"] for a in result.actions] == ["change_status"]
    assert _lead(store, "Rohan Mehta").status == "Contacted"


def test_a_label_and_a_value_are_for_the_lead_in_focus(agent) -> None:
    chat, store = agent
    chat.send("t", "what stage is diego in?")
    chat.send("t", "ph: +44 7700 900123")
    assert _lead(store, "Diego Alvarez").phone == "+44 7700 900123"


def test_a_correction_after_a_refused_negative_value(agent) -> None:
    chat, store = agent
    refused = chat.send("t", "set diego's value to -8000")
    assert refused.actions == [] and _lead(store, "Diego Alvarez").value is None
    chat.send("t", "lol typo, 5k")
    assert _lead(store, "Diego Alvarez").value == 5000


def test_company_news_and_a_rename_with_its_reason(agent) -> None:
    chat, store = agent
    chat.send("t", "ebuka switched jobs, he's at Flutterwave now. update his company pls")
    assert _lead(store, "Ebuka Nnaji").company == "Flutterwave"
    chat.send("t", "rename diego to Diego Alvarez-Ruiz, that's how he signs his emails")
    assert _lead(store, "Diego Alvarez-Ruiz").company == "Stripe"


def test_at_lunch_is_no_company(agent) -> None:
    chat, store = agent
    result = chat.send("t", "ebuka's at lunch now")
    assert result.actions == [] and _lead(store, "Ebuka Nnaji").company == "Interswitch"


@pytest.mark.parametrize(
    ("message", "calls"),
    [
        ("who's sitting in proposal sent rn?", [("find_leads", {"status": "Proposal sent"})]),
        (
            "also pop a note on renata: on leave until the 20th",
            [("update_lead", {"lead": "renata", "notes": "on leave until the 20th"})],
        ),
        (
            "siobhan's now around 30k after the scope change",
            [("update_lead", {"lead": "siobhan", "value": 30000.0})],
        ),
        ("put 45k on elif's opp", [("update_lead", {"lead": "elif", "value": 45000.0})]),
    ],
)
def test_more_everyday_phrasings(message: str, calls: list) -> None:
    from agent_service.graph.models.commands import CommandParser

    assert CommandParser(DEFAULT_STAGES).parse(message).calls == calls


@pytest.mark.parametrize("answer", ["sí, go ahead", "ja", "oui"])
def test_a_yes_in_the_teams_own_languages(answer: str) -> None:
    from agent_service.graph.nodes.ask import is_yes

    assert is_yes(answer)


def test_a_stage_correction_that_names_the_wrong_stage_and_a_negated_one(agent) -> None:
    chat, store = agent
    chat.send("t", "diego CLOSED mark him won!!")
    assert _lead(store, "Diego Alvarez").status == "Won"
    chat.send("t", "wait sorry jumped the gun, proposal sent not won. he hasnt signed yet")
    assert _lead(store, "Diego Alvarez").status == "Proposal sent"


def test_the_same_move_for_one_more_lead(agent) -> None:
    chat, store = agent
    chat.send("t", "ebuka -> meeting booked")
    chat.send("t", "rohan too")
    assert _lead(store, "Rohan Mehta").status == "Meeting booked"
