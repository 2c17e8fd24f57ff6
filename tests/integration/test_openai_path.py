"""The OpenAI path against a local OpenAI-compatible server: schema sent, calls, repairs, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent_service.errors import ModelTimeout, ModelUnavailable
from agent_service.graph.agent import ChatAgent
from agent_service.graph.models import build_chat_model
from agent_service.leads.models import Pipeline
from agent_service.leads.sqlite import SqliteLeadStore
from agent_service.settings import DEFAULT_STAGES, Settings
from tests.utils.fake_openai import fake_openai, raw_tool, status, text, tool, tools


@pytest.fixture
def store(tmp_path: Path) -> SqliteLeadStore:
    store = SqliteLeadStore(tmp_path / "crm.sqlite3", Pipeline(DEFAULT_STAGES))
    store.migrate()
    store.create({"name": "John Smith", "company": "Acme", "status": "Contacted"})
    store.create({"name": "Sarah Lee", "company": "TechCorp"})
    return store


def agent_for(url: str, store: SqliteLeadStore, **overrides: object) -> ChatAgent:
    settings = Settings(
        crm_model="openai",
        openai_api_key="sk-test",
        openai_base_url=url,
        openai_max_retries=0,
        **overrides,
    )
    return ChatAgent(store, build_chat_model(settings), settings)


def test_tools_schema_and_tool_call_flow(store: SqliteLeadStore) -> None:
    with fake_openai([tool("change_status", lead="John", status="Meeting booked")]) as server:
        result = agent_for(server.url, store).send("t", "Move John to Meeting booked")
    assert result.reply == "Lead 'John Smith' status updated to 'Meeting booked'."
    assert [a["type"] for a in result.actions] == ["change_status"]
    assert result.usage == {"input_tokens": 120, "output_tokens": 12}
    request = server.requests[0]
    assert request["model"] == "gpt-4.1"
    assert request["temperature"] == 0
    names = [t["function"]["name"] for t in request["tools"]]
    assert names == [
        "create_lead",
        "update_lead",
        "change_status",
        "delete_lead",
        "find_leads",
        "undo",
        "lead_history",
    ]
    change = next(
        t["function"] for t in request["tools"] if t["function"]["name"] == "change_status"
    )
    assert change["parameters"]["required"] == ["lead", "status"]
    assert "Meeting booked" in request["messages"][0]["content"]  # stages in the system prompt
    assert request["messages"][-1] == {"role": "user", "content": "Move John to Meeting booked"}


def test_two_calls_in_one_message_run_in_order(store: SqliteLeadStore) -> None:
    script = [
        tools(
            ("change_status", {"lead": "John", "status": "Won"}),
            ("change_status", {"lead": "Sarah", "status": "Lost"}),
        )
    ]
    with fake_openai(script) as server:
        result = agent_for(server.url, store).send("t", "move John to Won and Sarah to Lost")
    assert [(a["lead_name"], a["changes"]["status"][1]) for a in result.actions] == [
        ("John Smith", "Won"),
        ("Sarah Lee", "Lost"),
    ]


def test_history_sent_to_model_answers_every_tool_call(store: SqliteLeadStore) -> None:
    script = [tool("delete_lead", lead="Sarah"), tool("find_leads", lead="John", field="status")]
    with fake_openai(script) as server:
        agent = agent_for(server.url, store)
        assert agent.send("t", "delete Sarah").needs == "confirmation"
        assert agent.send("t", "no").reply == "Deletion of lead 'Sarah Lee' cancelled."
        agent.send("t", "what stage is John in?")
    messages = server.requests[-1]["messages"]
    open_calls: set[str] = set()
    for message in messages:
        if message["role"] == "assistant":
            assert not open_calls, "a tool call was left unanswered before the next message"
            open_calls = {c["id"] for c in message.get("tool_calls") or []}
        elif message["role"] == "tool":
            open_calls.discard(message["tool_call_id"])
        elif message["role"] == "user":
            assert not open_calls
    assert store.search("Sarah Lee")[0].lead.name == "Sarah Lee"


def test_malformed_arguments_get_one_repair(store: SqliteLeadStore) -> None:
    script = [
        raw_tool("change_status", "{lead: John"),
        tool("change_status", lead="John", status="Won"),
    ]
    with fake_openai(script) as server:
        result = agent_for(server.url, store).send("t", "John signed")
    assert result.reply == "Lead 'John Smith' status updated to 'Won'."
    assert len(server.requests) == 2
    assert any(
        m["role"] == "tool" and "Error" in m["content"] for m in server.requests[1]["messages"]
    )


def test_nonsense_twice_writes_nothing(store: SqliteLeadStore) -> None:
    script = [raw_tool("explode_database", "{}"), tool("change_status", lead="John")]
    with fake_openai(script) as server:
        result = agent_for(server.url, store).send("t", "do the thing")
    assert result.reply.startswith("I couldn't understand that request; nothing was changed.")
    assert result.actions == []
    assert store.search("John Smith")[0].lead.status == "Contacted"


def test_plain_answer_without_tool_calls(store: SqliteLeadStore) -> None:
    with fake_openai([text("Hello! How can I help with your leads?")]) as server:
        result = agent_for(server.url, store).send("t", "hi")
    assert result.reply == "Hello! How can I help with your leads?"
    assert result.actions == []


def test_rate_limited_model_is_model_unavailable(store: SqliteLeadStore) -> None:
    with fake_openai([status(429)]) as server, pytest.raises(ModelUnavailable):
        agent_for(server.url, store).send("t", "Move John to Won")
    assert store.search("John Smith")[0].lead.status == "Contacted"


def test_slow_model_is_timeout(store: SqliteLeadStore) -> None:
    with fake_openai([{"sleep": 3, "content": "late"}]) as server, pytest.raises(ModelTimeout):
        agent_for(server.url, store, openai_timeout=0.5).send("t", "Move John to Won")


def test_model_down_is_model_unavailable(store: SqliteLeadStore) -> None:
    agent = agent_for("http://127.0.0.1:9/v1", store)
    with pytest.raises(ModelUnavailable):
        agent.send("t", "Move John to Won")
