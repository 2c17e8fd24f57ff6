"""`evals.recorder.write_conversation`: the written file loads, reads right, and replays."""

from __future__ import annotations

from pathlib import Path

import yaml

from agent_service.graph.agent import ChatAgent
from agent_service.graph.models import build_chat_model
from agent_service.leads.models import Pipeline
from agent_service.leads.sqlite import SqliteLeadStore
from agent_service.runs.recording import record_thread
from agent_service.settings import Settings
from evals.cases import load_conversation
from evals.recorder import write_conversation
from evals.runner import SingleModel, run_conversation

SEED = [
    {"name": "John Smith", "company": "Acme", "email": "john@acme.com", "status": "Contacted"},
    {"name": "Sarah Lee", "company": "TechCorp", "phone": "555-0111", "status": "New"},
    {"name": "Bob Martin", "company": "Vertex", "status": "Lost"},
    {"name": "Ann Lopez", "company": "Skyline", "status": "Won"},  # never touched
]
MESSAGES = [
    "Move John Smith to Meeting booked",
    "change Sarah Lee's email to sarah@techcorp.io",
    "Add new lead Tom Baker from Initech",
    "delete Bob Martin",
    "yes",
    "undo",
    "undo",
]


def live_session(tmp_path: Path, settings: Settings) -> list[dict]:
    """Runs as the runs manager records them, from a real offline conversation."""
    store = SqliteLeadStore(tmp_path / "live.sqlite3", Pipeline(settings.crm_pipeline))
    store.migrate()
    for lead in SEED:
        store.create(lead)
    agent = ChatAgent(store, build_chat_model(settings), settings)
    runs = []
    for message in MESSAGES:
        result = agent.send("live", message)
        runs.append({"message": message, "status": "succeeded", "result": result.public()})
    store.close()
    return runs


def test_recorded_live_conversation_round_trips(tmp_path: Path, settings: Settings) -> None:
    runs = live_session(tmp_path, settings)
    path = record_thread(tmp_path / "recorded", "thread-0123456789abcdef", runs)
    assert path is not None and path.parent == tmp_path / "recorded"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["name"] == path.stem == "recorded-thread-01234"
    assert data["tags"] == ["recorded"]
    # Only the touched leads, as they were before; the created lead did not exist.
    assert sorted(lead["name"] for lead in data["leads"]) == [
        "Bob Martin",
        "John Smith",
        "Sarah Lee",
    ]
    expected = [t["expect"]["actions"] for t in data["turns"]]
    assert expected[0] == [
        {"type": "change_status", "lead": "John Smith", "status": "Meeting booked"}
    ]
    assert expected[1] == [
        {"type": "update_lead", "lead": "Sarah Lee", "email": "sarah@techcorp.io"}
    ]
    assert expected[2] == [
        {"type": "create_lead", "lead": "Tom Baker", "company": "Initech", "status": "New"}
    ]
    assert expected[3] == []
    assert expected[4] == [{"type": "delete_lead", "lead": "Bob Martin"}]
    assert expected[5][0]["type"] == "undo" and expected[5][0]["lead"] == "Bob Martin"
    assert expected[6] == [{"type": "undo", "lead": "Tom Baker"}]
    assert {"name": "Tom Baker"} not in data.get("final_leads", [])
    assert data["absent"] == ["Tom Baker"]
    final = {lead["name"]: lead for lead in data["final_leads"]}
    assert final["John Smith"]["status"] == "Meeting booked"
    assert final["Bob Martin"]["status"] == "Lost"

    conversation = load_conversation(path)
    model = SingleModel(build_chat_model(settings))
    record = run_conversation(conversation, model, settings)
    assert record.passed, [t.problems for t in record.turns] + [record.end_problems]


def test_names_are_unique_and_needs_kept(tmp_path: Path) -> None:
    action = {
        "type": "update_lead",
        "lead_id": "abc",
        "lead_name": "Sarah Lee",
        "changes": {"phone": ["555-0111", None], "value": [None, 1200.0]},
    }
    turns = [
        {"user": "delete Sarah", "actions": [], "needs": "confirmation"},
        {"user": "no", "actions": []},
        {"user": "remove her phone, value 1200", "actions": [action]},
    ]
    leads = [{"name": "Sarah Lee", "phone": "555-0111", "status": "New", "email": None}]
    first = write_conversation(tmp_path, name="my chat/1", leads_before=leads, turns=turns)
    second = write_conversation(tmp_path, name="my chat/1", leads_before=leads, turns=turns)
    assert (first.name, second.name) == ("my-chat-1.yaml", "my-chat-1-2.yaml")
    assert load_conversation(second).name == "my-chat-1-2"
    case = load_conversation(first)
    assert case.leads == [{"name": "Sarah Lee", "phone": "555-0111", "status": "New"}]
    assert case.turns[0].needs == "confirmation" and case.turns[0].actions == []
    assert case.turns[1].user == "no"
    assert case.turns[2].actions[0].fields == {"phone": None, "value": 1200.0}
    assert case.final_leads == [{"name": "Sarah Lee", "phone": None, "value": 1200.0}]
