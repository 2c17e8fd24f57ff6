"""Follow-ups through the whole graph with the offline model: answers to its questions."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent_service.graph.agent import ChatAgent
from agent_service.graph.models.offline import OfflineChatModel
from agent_service.graph.nodes.ask import is_yes
from agent_service.leads.models import Pipeline
from agent_service.leads.sqlite import SqliteLeadStore
from agent_service.settings import DEFAULT_STAGES, Settings


@pytest.fixture
def agent(tmp_path: Path) -> tuple[ChatAgent, SqliteLeadStore]:
    store = SqliteLeadStore(tmp_path / "crm.sqlite3", Pipeline(DEFAULT_STAGES))
    store.migrate()
    for name, company, stage in [
        ("Lucas Moreau", "Vinea Wines", "Meeting booked"),
        ("Lucas Martin", "Ferrum Steel", "Proposal sent"),
        ("Priya Raghunathan", "Chennai Cloud", "Meeting booked"),
    ]:
        store.create({"name": name, "company": company, "status": stage})
    return ChatAgent(store, OfflineChatModel(), Settings(crm_model="offline")), store


def test_a_bare_new_lead_asks_for_the_name_and_keeps_the_company(agent) -> None:
    chat, store = agent
    first = chat.send("t", "create lead for the procurement guy at Infosys we spoke to yesterday")
    assert first.needs == "confirmation" and first.actions == []
    created = chat.send("t", "Arjun Pillai")
    assert [a["type"] for a in created.actions] == ["create_lead"]
    lead = next(lead for lead in store.list() if lead.name == "Arjun Pillai")
    assert lead.company == "Infosys"
    asked = chat.send("t2", "new lead pls")
    assert asked.needs == "clarification" and asked.actions == []
    assert chat.send("t2", "cancel").actions == []
    assert len(store.list()) == 4


@pytest.mark.parametrize(
    "answer", ["yep go ahead", "yes pls 👍", "sure, go ahead", "yes yes do it"]
)
def test_yes_with_a_tail(answer: str) -> None:
    assert is_yes(answer)


@pytest.mark.parametrize("answer", ["yes but change the email", "yep go ahead and move her", "no"])
def test_not_a_plain_yes(answer: str) -> None:
    assert not is_yes(answer)


def test_a_delete_confirmed_with_yep_go_ahead(agent) -> None:
    chat, store = agent
    assert chat.send("t", "delete priya").needs == "confirmation"
    assert [a["type"] for a in chat.send("t", "yep go ahead").actions] == ["delete_lead"]
    assert "Priya Raghunathan" not in {lead.name for lead in store.list()}


def test_a_pick_by_a_stage_phrase(agent) -> None:
    chat, store = agent
    assert chat.send("t", "lucas signed, mark him won").needs == "clarification"
    result = chat.send("t", "the one we sent the proposal to obv")
    assert [a["lead_name"] for a in result.actions] == ["Lucas Martin"]
    assert {lead.name: lead.status for lead in store.list()}["Lucas Moreau"] == "Meeting booked"


def test_a_stage_followed_by_its_reason(agent) -> None:
    chat, store = agent
    result = chat.send("t", "bump priya back to contacted, meeting got cancelled")
    assert result.reply == "Lead 'Priya Raghunathan' status updated to 'Contacted'."
