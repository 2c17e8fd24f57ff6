"""The chat on top of the change log, on SQLite and PostgreSQL: the chat sees what the board did,
undo per user across board and chat (and after clearing the chat), history, and every chat
write logged with its run and thread."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage

from agent_service.graph.agent import ChatAgent
from agent_service.leads.models import Actor, Lead, Pipeline
from agent_service.leads.postgres import PostgresLeadStore
from agent_service.leads.sqlite import SqliteLeadStore
from agent_service.leads.store import LeadStore
from agent_service.settings import DEFAULT_STAGES, Settings
from tests.utils.models import ScriptedChatModel, call, calls

PIPELINE = Pipeline(DEFAULT_STAGES)
DEMO_BOARD = Actor(user_id="u-demo", user_name="demo", source="board")
BOB_BOARD = Actor(user_id="u-bob", user_name="bob", source="board")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LeadStore]:
    if request.param == "sqlite":
        lead_store: LeadStore = SqliteLeadStore(tmp_path / "crm.sqlite3", PIPELINE)
    else:
        lead_store = PostgresLeadStore(request.getfixturevalue("fresh_postgres_url"), PIPELINE)
    lead_store.migrate()
    for name, company in [
        ("Aisha Khan", "Northwind"),
        ("Bob Stone", "Globex"),
        ("John Smith", "Acme"),
        ("John Doe", "Initech"),
    ]:
        lead_store.create({"name": name, "company": company, "status": "New"})
    try:
        yield lead_store
    finally:
        lead_store.close()


def lead(store: LeadStore, name: str) -> Lead:
    return next(m.lead for m in store.search(name) if m.lead.name == name)


class Chat:
    """A ChatAgent with a scripted model, speaking as user `demo`."""

    def __init__(self, store: LeadStore) -> None:
        self.model = ScriptedChatModel(script=[])
        self.agent = ChatAgent(store, self.model, Settings(crm_model="offline"))
        self.runs = 0

    def say(self, thread: str, text: str, *answer: AIMessage, user: str = "u-demo"):  # noqa: ANN201
        self.model.script.extend(answer)
        self.runs += 1
        return self.agent.send(
            thread, text, user_id=user, user_name=user.removeprefix("u-"), run_id=f"r{self.runs}"
        )


def test_after_a_board_drag_her_is_that_lead(store: LeadStore) -> None:
    chat = Chat(store)
    bob, aisha = lead(store, "Bob Stone"), lead(store, "Aisha Khan")
    moved = chat.say("t", "move Bob", calls(call("change_status", lead="Bob", status="Contacted")))
    assert moved.reply == "Lead 'Bob Stone' status updated to 'Contacted'."  # Bob is in focus
    store.update(aisha.id, {"status": "Contacted"}, actor=DEMO_BOARD)  # dragged on the board
    store.update(bob.id, {"notes": "called"}, actor=BOB_BOARD)  # a teammate's: not our focus
    result = chat.say(
        "t", "move her to Won", calls(call("change_status", lead="her", status="Won"))
    )
    assert result.reply == "Lead 'Aisha Khan' status updated to 'Won'."
    assert store.get(aisha.id).status == "Won"
    assert store.get(bob.id).status == "Contacted"
    # Seen once: the next pronoun follows the conversation again (Aisha, the lead just moved).
    again = chat.say("t", "and to Lost", calls(call("change_status", lead="her", status="Lost")))
    assert again.reply == "Lead 'Aisha Khan' status updated to 'Lost'."


def test_a_new_thread_sees_the_last_minutes_of_the_board(store: LeadStore) -> None:
    chat = Chat(store)
    aisha = lead(store, "Aisha Khan")
    store.update(aisha.id, {"status": "Contacted"}, actor=DEMO_BOARD)
    result = chat.say(
        "new", "move her to Won", calls(call("change_status", lead="her", status="Won"))
    )
    assert result.reply == "Lead 'Aisha Khan' status updated to 'Won'."
    # Another user's new thread does not see demo's board.
    other = chat.say(
        "other", "move her", calls(call("change_status", lead="her", status="Lost")), user="u-bob"
    )
    assert other.reply == "I'm not sure which lead you mean; please name it."
    assert store.get(aisha.id).status == "Won"


def test_a_still_ambiguous_reference_asks(store: LeadStore) -> None:
    chat = Chat(store)
    store.update(lead(store, "John Smith").id, {"status": "Contacted"}, actor=DEMO_BOARD)
    result = chat.say("t", "move John", calls(call("change_status", lead="John", status="Won")))
    assert result.needs == "clarification"
    assert {c["label"] for c in result.choices} == {"John Smith (Acme)", "John Doe (Initech)"}
    assert store.list(status="Won") == []


def test_chat_undo_reverts_a_board_edit(store: LeadStore) -> None:
    chat = Chat(store)
    aisha = lead(store, "Aisha Khan")
    chat.say("t", "move Aisha", calls(call("change_status", lead="Aisha", status="Contacted")))
    store.update(aisha.id, {"phone": "555-0100"}, actor=DEMO_BOARD)  # the panel edit, later
    result = chat.say("t", "undo", calls(call("undo")))
    assert result.reply == "Undone: lead 'Aisha Khan' phone removed."
    assert store.get(aisha.id).phone is None
    assert store.get(aisha.id).status == "Contacted"  # the older chat change stays
    assert [a["type"] for a in result.actions] == ["undo"]
    assert result.actions[0]["lead_id"] == aisha.id
    row = store.changes(newest_first=True, limit=1)[0]
    assert (row.source, row.user_id, row.op, row.run_id) == ("undo", "u-demo", "update", "r2")


def test_undo_survives_clearing_the_chat(store: LeadStore) -> None:
    chat = Chat(store)
    aisha = lead(store, "Aisha Khan")
    chat.say("t", "move Aisha to Won", calls(call("change_status", lead="Aisha", status="Won")))
    chat.agent.clear("t")
    chat.say("t", "undo", calls(call("undo")))
    assert store.get(aisha.id).status == "New"


def test_undo_twice_goes_back_two_changes(store: LeadStore) -> None:
    chat = Chat(store)
    aisha = lead(store, "Aisha Khan")
    chat.say("t", "move Aisha", calls(call("change_status", lead="Aisha", status="Contacted")))
    store.update(aisha.id, {"phone": "555-0100"}, actor=DEMO_BOARD)
    chat.say("t", "undo", calls(call("undo")))
    assert (store.get(aisha.id).phone, store.get(aisha.id).status) == (None, "Contacted")
    chat.say("t", "undo", calls(call("undo")))
    assert (store.get(aisha.id).phone, store.get(aisha.id).status) == (None, "New")
    third = chat.say("t", "undo", calls(call("undo")))
    assert third.reply == "There is nothing to undo."
    assert third.actions == []


def test_a_teammates_overwrite_is_not_undone_and_named(store: LeadStore) -> None:
    chat = Chat(store)
    aisha = lead(store, "Aisha Khan")
    chat.say("t", "move Aisha to Won", calls(call("change_status", lead="Aisha", status="Won")))
    store.update(aisha.id, {"status": "Lost"}, actor=BOB_BOARD)
    last = store.last_seq()
    result = chat.say("t", "undo", calls(call("undo")))
    assert result.reply == "Lead 'Aisha Khan' was changed since by bob (board); nothing was undone."
    assert result.actions == []
    assert store.get(aisha.id).status == "Lost"
    assert store.last_seq() == last  # nothing written


def test_who_moved_john_and_what_changed_today(store: LeadStore) -> None:
    chat = Chat(store)
    john = lead(store, "John Smith")
    store.update(john.id, {"status": "Won"}, actor=DEMO_BOARD)
    chat.say("t", "move Aisha", calls(call("change_status", lead="Aisha", status="Contacted")))
    who = chat.say("t", "who moved John Smith?", calls(call("lead_history", lead="John Smith")))
    assert who.actions == []
    lines = who.reply.splitlines()
    assert lines[0] == "Changes of lead 'John Smith', newest first:"
    assert lines[1] == "- Lead 'John Smith' status updated to 'Won' by demo via board, just now."
    assert lines[2] == "- Lead 'John Smith' created in 'New' by system via board, just now."
    today = chat.say("t", "what changed today?", calls(call("lead_history", since="today")))
    body = today.reply.splitlines()[1:]
    assert (
        body[0] == "- Lead 'Aisha Khan' status updated to 'Contacted' by demo via chat, just now."
    )
    assert "by demo via board" in body[1]
    assert len(body) == 2 + 4  # and the four seeded creates (by system)
    assert today.reply.splitlines()[0] == "Changes today, newest first:"
    yesterday = chat.say("t", "and yesterday?", calls(call("lead_history", since="yesterday")))
    assert yesterday.reply == "No changes yesterday are recorded."


def test_every_chat_write_is_logged_with_its_run_and_thread(store: LeadStore) -> None:
    chat = Chat(store)
    created = chat.say(
        "t-42",
        "add Tom, move Aisha, Bob's phone",
        calls(
            call("create_lead", name="Tom Baker", company="Hooli"),
            call("change_status", lead="Aisha", status="Won"),
            call("update_lead", lead="Bob", phone="555-0101"),
        ),
    )
    assert len(created.actions) == 3
    asked = chat.say("t-42", "delete Tom", calls(call("delete_lead", lead="Tom")))
    assert asked.needs == "confirmation"
    done = chat.say("t-42", "yes")
    assert done.reply == "Lead 'Tom Baker' deleted."
    rows = [row for row in store.changes() if row.source != "board"]
    assert [row.op for row in rows] == ["create", "update", "update", "delete"]
    assert {(r.source, r.user_id, r.user_name, r.thread_id) for r in rows} == {
        ("chat", "u-demo", "demo", "t-42")
    }
    assert [row.run_id for row in rows] == ["r1", "r1", "r1", "r3"]


def test_who_deleted_a_lead_that_is_gone(store: LeadStore) -> None:
    chat = Chat(store)
    bob = lead(store, "Bob Stone")
    store.delete(bob.id, actor=DEMO_BOARD)
    who = chat.say("t", "who deleted Bob?", calls(call("lead_history", lead="Bob")))
    assert who.reply.splitlines()[:2] == [
        "Changes of lead 'Bob Stone', newest first:",
        "- Lead 'Bob Stone' deleted by demo via board, just now.",
    ]
    unknown = chat.say("t", "and Zed?", calls(call("lead_history", lead="Zed Quill")))
    assert unknown.reply.startswith("I couldn't find a lead matching 'Zed Quill'.")
