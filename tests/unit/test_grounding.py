"""Grounding (the stored leads a message names) and the offline model's anchored reading."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import SystemMessage

from agent_service.graph.agent import ChatAgent
from agent_service.graph.grounding import GROUNDING_KEY, ground, grounding_message
from agent_service.graph.models.offline import OfflineChatModel
from agent_service.leads.models import Pipeline
from agent_service.leads.sqlite import SqliteLeadStore
from agent_service.settings import DEFAULT_STAGES, Settings
from tests.utils.models import ScriptedChatModel, call, calls

LEADS = [
    ("Gustavo Ramírez", "Pacific Rim Imports", "gustavo@pri.com", "Proposal sent"),
    ("Krzysztof Wiśniewski", "Baltic Amber", None, "Contacted"),
    ("Chen Wei", "Jade Robotics", None, "Proposal sent"),
    ("Chen Li", "Lotus Foods", None, "Meeting booked"),
    ("Martin Keller", "Alpenglow", None, "New"),
    ("Tyler Jackson", "Austin Roofing", None, "Contacted"),
    ("Kofi Mensah", "Ashanti Gold", "kofi@ashantigold.com", "Contacted"),
]


@pytest.fixture
def store(tmp_path: Path) -> SqliteLeadStore:
    store = SqliteLeadStore(tmp_path / "crm.sqlite3", Pipeline(DEFAULT_STAGES))
    store.migrate()
    for name, company, email, stage in LEADS:
        store.create({"name": name, "company": company, "email": email, "status": stage})
    return store


def names(store: SqliteLeadStore, text: str) -> list[str]:
    return [entry["name"] for entry in ground(store, text)]


def test_grounding_finds_names_typos_companies_and_emails(store: SqliteLeadStore) -> None:
    assert names(store, "INKED IT!!! gustavo signed the contract 🥂") == ["Gustavo Ramírez"]
    assert names(store, "chnage stauts of krzystof to propsal sent") == ["Krzysztof Wiśniewski"]
    assert names(store, "the Baltic Amber guy") == ["Krzysztof Wiśniewski"]
    assert names(store, "the guy w/ kofi@ashantigold.com - his line is 020 555 0176") == [
        "Kofi Mensah"
    ]
    assert sorted(names(store, "chen signed")) == ["Chen Li", "Chen Wei"]
    assert names(store, "chen wei signed")[0] == "Chen Wei"


def test_grounding_ignores_common_words_and_other_people(store: SqliteLeadStore) -> None:
    assert names(store, "move him to won please, thanks a lot") == []
    assert names(store, "martinez said hi") == []  # "martinez" is not a typo of "martin"


def test_the_router_passes_the_grounding_to_the_model(store: SqliteLeadStore) -> None:
    model = ScriptedChatModel(script=[calls(call("find_leads", lead="gustavo"))])
    agent = ChatAgent(store, model, Settings(crm_model="offline"))
    agent.send("t", "what's gustavo's email?")
    hints = [
        m
        for m in model.received[0]
        if isinstance(m, SystemMessage) and GROUNDING_KEY in m.additional_kwargs
    ]
    assert len(hints) == 1
    assert [e["name"] for e in hints[0].additional_kwargs[GROUNDING_KEY]] == ["Gustavo Ramírez"]
    assert "Gustavo Ramírez" in hints[0].text


def read(store: SqliteLeadStore, text: str) -> list[tuple[str, dict[str, Any]]] | None:
    model = OfflineChatModel()
    return model._anchored.read(text, ground(store, text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "INKED IT!!! gustavo signed the contract 🥂",
            [("change_status", "Gustavo Ramírez", "Won")],
        ),
        (
            "closed-lost on tyler, they went w/ a competitor 🙄",
            [("change_status", "Tyler Jackson", "Lost")],
        ),
        ("chuck tyler in lsot", [("change_status", "Tyler Jackson", "Lost")]),
        (
            "pls puth krzystof into contaced",
            [("change_status", "Krzysztof Wiśniewski", "Contacted")],
        ),
        (
            "got a mtg on the cal w/ kofi for thurs 💪",
            [("change_status", "Kofi Mensah", "Meeting booked")],
        ),
        (
            "kofi's deal went up, twenty grand now",
            [("update_lead", "Kofi Mensah", {"value": 20000.0})],
        ),
        (
            "would you mind updating Kofi's phone number to +44 7700 900123? thank you",
            [("update_lead", "Kofi Mensah", {"phone": "+44 7700 900123"})],
        ),
        (
            "back from the expo, 20k steps lol. gustavo gave me his new email, it's g.ramirez@pri.mx, swap it in",
            [("update_lead", "Gustavo Ramírez", {"email": "g.ramirez@pri.mx"})],
        ),
    ],
)
def test_anchored_reading_writes_only_typed_values(
    store: SqliteLeadStore, text: str, expected: list[tuple[str, str, Any]]
) -> None:
    got = read(store, text)
    assert got is not None, text
    assert [(name, args["lead"]) for name, args in got] == [(e[0], e[1]) for e in expected]
    for (name, args), want in zip(got, expected, strict=True):
        if name == "change_status":
            assert args == {"lead": want[1], "status": want[2]}
        else:
            assert args == {"lead": want[1], **want[2]}  # nothing but the typed values


@pytest.mark.parametrize(
    "text",
    [
        "ugh tyler ghosted me again, third time this month. not gonna chase him today",
        "if gustavo signs tomorrow move him to won",
        "gustavo hasn't signed yet",
        "hopefully gustavo signs the contract next week",
        "can you email kofi the proposal pdf pls, the one from drive",
        "schedule a meeting with kofi for tues 10am and send her a calendar invite",
        "yes go ahead, they share the generic inbox",
        "move gustavo and tyler to won",  # two different leads: not guessed between
        "put 20-30k on kofi",  # a range: the grammar refuses it
    ],
)
def test_anchored_reading_does_not_write_what_it_is_not_sure_of(
    store: SqliteLeadStore, text: str
) -> None:
    got = read(store, text) or []
    assert [c for c in got if c[0] != "find_leads"] == []


def test_a_question_about_a_move_is_a_look_up(store: SqliteLeadStore) -> None:
    assert read(store, "what stage is gustavo at? did i already move him to won?") == [
        ("find_leads", {"lead": "Gustavo Ramírez"})
    ]


def test_one_word_naming_two_leads_is_passed_on_for_the_matcher_to_ask(
    store: SqliteLeadStore,
) -> None:
    assert read(store, "chen signed 🎉 mark as won") == [
        ("change_status", {"lead": "chen", "status": "Won"})
    ]


def test_the_whole_graph_moves_the_lead_a_slang_message_names(store: SqliteLeadStore) -> None:
    agent = ChatAgent(store, OfflineChatModel(), Settings(crm_model="offline"))
    result = agent.send("t", "closed-lost on tyler, they went w/ a competitor 🙄")
    assert result.reply == "Lead 'Tyler Jackson' status updated to 'Lost'."
    assert store.search("Tyler Jackson", limit=1)[0].lead.status == "Lost"
    result = agent.send("t2", "chen signed 🎉 mark as won")
    assert result.needs == "clarification"
    assert {lead.status for lead in store.list() if lead.name.startswith("Chen")} == {
        "Proposal sent",
        "Meeting booked",
    }


def test_no_grounding_message_when_no_lead_is_named() -> None:
    assert grounding_message([]) is None


def test_a_correction_naming_the_other_lead_moves_the_change_there(store: SqliteLeadStore) -> None:
    agent = ChatAgent(store, OfflineChatModel(), Settings(crm_model="offline"))
    assert agent.send("t", "put tyler in contacted pls").reply.startswith("Lead 'Tyler Jackson'")
    agent.send("t", "chuck tyler into won")
    result = agent.send("t", "arre wait, Kofi not Tyler. sorry boss")
    by_name = {lead.name: lead.status for lead in store.list()}
    assert by_name["Tyler Jackson"] == "Contacted"  # put back
    assert by_name["Kofi Mensah"] == "Won"
    assert [a["type"] for a in result.actions] == ["undo", "change_status"]


def test_a_quoted_note_is_kept_whole() -> None:
    parsed = OfflineChatModel()._parser.parse(
        "pls add note for kofi 'prefers WhatsApp, not email' ta"
    )
    assert parsed.calls == [
        ("update_lead", {"lead": "kofi", "notes": "prefers WhatsApp, not email"})
    ]


def test_a_correction_with_a_new_request_is_that_request(store: SqliteLeadStore) -> None:
    agent = ChatAgent(store, OfflineChatModel(), Settings(crm_model="offline"))
    agent.send("t", "move tyler to won")
    result = agent.send("t", "actually, move Kofi to Lost")
    by_name = {lead.name: lead.status for lead in store.list()}
    assert (by_name["Tyler Jackson"], by_name["Kofi Mensah"]) == ("Won", "Lost")
    assert [a["type"] for a in result.actions] == ["change_status"]


def test_a_correction_of_the_value_just_written(store: SqliteLeadStore) -> None:
    agent = ChatAgent(store, OfflineChatModel(), Settings(crm_model="offline"))
    agent.send("t", "update kofi's email to kofi@polar.ru")
    agent.send("t", "ugh typo, it's kofi@polaris.ru")
    agent.send("t", "move tyler to meeting booked")
    agent.send("t", "wait no, just contacted for now, meeting isn't confirmed yet")
    by_name = {lead.name: lead for lead in store.list()}
    assert by_name["Kofi Mensah"].email == "kofi@polaris.ru"
    assert by_name["Tyler Jackson"].status == "Contacted"


@pytest.mark.parametrize(
    "text",
    ["put -5000 on kofi's deal", "kofi's deal is minus 5k", "kofi's deal is negative $5,000"],
)
def test_a_negative_amount_is_refused_never_stored_without_its_sign(
    store: SqliteLeadStore, text: str
) -> None:
    agent = ChatAgent(store, OfflineChatModel(), Settings(crm_model="offline"))
    result = agent.send("t", text)
    assert result.actions == []
    assert {lead.name: lead.value for lead in store.list()}["Kofi Mensah"] is None
    assert "negative" in result.reply.lower() or "couldn't" in result.reply.lower(), result.reply


def test_after_a_refused_negative_the_right_amount_is_set(store: SqliteLeadStore) -> None:
    agent = ChatAgent(store, OfflineChatModel(), Settings(crm_model="offline"))
    assert agent.send("t", "put -5000 on kofi's deal").actions == []
    result = agent.send("t", "ok fine make it 5000 then")
    assert [a["type"] for a in result.actions] == ["update_lead"]
    assert {lead.name: lead.value for lead in store.list()}["Kofi Mensah"] == 5000
