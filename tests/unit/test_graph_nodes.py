"""Nodes and the whole graph with a scripted model on a SQLite store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from agent_service.errors import StoreUnavailable
from agent_service.graph.agent import ChatAgent
from agent_service.graph.context import Context
from agent_service.graph.nodes.ask import answer_text, is_no, is_yes, pick_choice
from agent_service.graph.nodes.common import board_focus
from agent_service.graph.nodes.history import ago, period
from agent_service.graph.nodes.lead_matcher import clean_reference, is_pronoun, pick
from agent_service.graph.nodes.router import model_window
from agent_service.leads.models import Actor, LeadChange, Pipeline
from agent_service.leads.sqlite import SqliteLeadStore
from agent_service.settings import DEFAULT_STAGES, Settings
from tests.utils.models import ScriptedChatModel, call, calls


@pytest.fixture
def store(tmp_path: Path) -> SqliteLeadStore:
    store = SqliteLeadStore(tmp_path / "crm.sqlite3", Pipeline(DEFAULT_STAGES))
    store.migrate()
    for name, company, email in [
        ("John Smith", "Acme", "john@acme.com"),
        ("John Doe", "Globex", "jdoe@globex.com"),
        ("Sarah Lee", "TechCorp", "sarah@techcorp.io"),
        ("Johnny Cash", "Sun Records", None),
        ("Ann Acme", "Initech", None),
    ]:
        store.create({"name": name, "company": company, "email": email, "status": "Contacted"})
    return store


def agent(
    store: SqliteLeadStore, *script: AIMessage, window: int = 20
) -> tuple[ChatAgent, ScriptedChatModel]:
    model = ScriptedChatModel(script=list(script))
    return ChatAgent(store, model, Settings(crm_model="offline", history_window=window)), model


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("John Smith", "John Smith"),
        ("smith", "John Smith"),
        ("john@acme.com", "John Smith"),
        ("Jon Smith", "John Smith"),
        ("Sarah", "Sarah Lee"),
        ("techcorp", "Sarah Lee"),
        ("Johnny", "Johnny Cash"),
        ("Doe", "John Doe"),
        ("Globex", "John Doe"),
    ],
)
def test_pick_clear_winner(store: SqliteLeadStore, reference: str, expected: str) -> None:
    lead, candidates = pick(reference, store.search(reference, limit=8))
    assert lead is not None and lead.name == expected, candidates
    assert candidates == []


@pytest.mark.parametrize(
    ("reference", "names"),
    [("John", {"John Smith", "John Doe"}), ("acme", {"John Smith", "Ann Acme"})],
)
def test_pick_ambiguous_lists_candidates(
    store: SqliteLeadStore, reference: str, names: set[str]
) -> None:
    lead, candidates = pick(reference, store.search(reference, limit=8))
    assert lead is None
    assert {c.name for c in candidates} == names


def test_pick_nothing_close(store: SqliteLeadStore) -> None:
    assert pick("Xavier", store.search("Xavier", limit=8)) == (None, [])


@pytest.mark.parametrize("text", ["him", "her", "that lead", "the same one", "this client", "It"])
def test_pronouns(text: str) -> None:
    assert is_pronoun(text)


@pytest.mark.parametrize("text", ["John", "Acme", "the Acme lead", "Henrietta"])
def test_not_pronouns(text: str) -> None:
    assert not is_pronoun(text)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("the Acme lead", "Acme"),
        ("John's", "John"),
        ("'Sarah Lee'", "Sarah Lee"),
        ("lead for Tom Baker", "Tom Baker"),
    ],
)
def test_clean_reference(raw: str, clean: str) -> None:
    assert clean_reference(raw) == clean


@pytest.mark.parametrize(
    "text", ["yes", "Yes!", "y", "yep", "sure", "go ahead", "Yes, delete it", "confirm"]
)
def test_yes(text: str) -> None:
    assert is_yes(text) and not is_no(text)


@pytest.mark.parametrize("text", ["no", "No.", "nope", "cancel", "don't", "keep it", "never mind"])
def test_no(text: str) -> None:
    assert is_no(text) and not is_yes(text)


@pytest.mark.parametrize("text", ["yes but move him to Won", "delete Sarah", "maybe"])
def test_neither_yes_nor_no(text: str) -> None:
    assert not is_yes(text) and not is_no(text)


def test_pick_choice_by_number_ordinal_name_company_email(store: SqliteLeadStore) -> None:
    smith = store.search("John Smith")[0].lead
    doe = store.search("John Doe")[0].lead
    choices = [{"lead_id": smith.id, "label": smith.label}, {"lead_id": doe.id, "label": doe.label}]
    for answer, expected in [
        ("1", smith),
        ("#2", doe),
        ("2.", doe),
        ("the second one", doe),
        ("first", smith),
        ("last", doe),
        ("John Smith", smith),
        ("the one at Acme", smith),
        ("Globex", doe),
        ("from globex", doe),
        ("jdoe@globex.com", doe),
        ("Doe", doe),
        ("I mean Smith", smith),
    ]:
        assert pick_choice(answer, choices, store) == expected.id, answer
    for answer in ["3", "0", "move Sarah to Won", "Initech"]:
        assert pick_choice(answer, choices, store) is None, answer


def test_model_window_starts_at_a_user_message() -> None:
    history = []
    for i in range(10):
        history += [
            HumanMessage(f"m{i}"),
            AIMessage("", tool_calls=[{"name": "undo", "args": {}, "id": f"c{i}"}]),
            ToolMessage("done", tool_call_id=f"c{i}"),
            AIMessage("ok"),
        ]
    window = model_window(history, 6)
    assert isinstance(window[0], HumanMessage)
    assert len(window) <= 6
    assert window[-1].content == "ok"


def test_multi_op_runs_in_order_and_each_call_is_answered(store: SqliteLeadStore) -> None:
    a, _ = agent(
        store,
        calls(
            call("change_status", lead="Sarah", status="Won"),
            call("update_lead", lead="Johnny", phone="555-0100"),
            call("find_leads", lead="her", field="status"),
        ),
    )
    result = a.send("t", "several things")
    assert result.reply.splitlines() == [
        "Lead 'Sarah Lee' status updated to 'Won'.",
        "Lead 'Johnny Cash' updated: phone set to '555-0100'.",
        "The stage of lead 'Johnny Cash' is Contacted.",
    ]
    messages = a.graph.get_state(a.config("t")).values["messages"]
    calls_made = [c["id"] for m in messages if isinstance(m, AIMessage) for c in m.tool_calls]
    answered = [m.tool_call_id for m in messages if isinstance(m, ToolMessage)]
    assert calls_made == answered


def test_a_new_request_drops_the_pending_question(store: SqliteLeadStore) -> None:
    a, _ = agent(
        store,
        calls(call("change_status", lead="John", status="Won")),
        calls(call("change_status", lead="Sarah", status="Lost")),
    )
    assert a.send("t", "move John to Won").needs == "clarification"
    result = a.send("t", "actually, move Sarah to Lost")
    assert result.reply == "Lead 'Sarah Lee' status updated to 'Lost'."
    assert a.pending("t") is None
    assert {lead.name for lead in store.list(status="Won")} == set()


def test_delete_never_happens_without_yes(store: SqliteLeadStore) -> None:
    a, _ = agent(
        store, calls(call("delete_lead", lead="Sarah")), calls(call("find_leads", status="Won"))
    )
    assert a.send("t", "delete Sarah").needs == "confirmation"
    result = a.send("t", "who is in Won?")  # not an answer: a new request, nothing deleted
    assert result.reply == "There are no leads in 'Won'."
    assert store.search("Sarah Lee")[0].lead.name == "Sarah Lee"


def test_undo_of_create_and_update_and_empty_log(store: SqliteLeadStore) -> None:
    a, _ = agent(
        store,
        calls(call("create_lead", name="Tom Baker", company="Hooli", value=5000)),
        calls(call("update_lead", lead="Tom", email="tom@hooli.xyz")),
        calls(call("undo")),
        calls(call("undo")),
        calls(call("undo")),
    )
    created = a.send("t", "add Tom", user_id="u1").actions[0]
    assert created["changes"]["value"] == [None, 5000]
    a.send("t", "his email", user_id="u1")
    first = a.send("t", "undo", user_id="u1")
    assert first.actions[0]["type"] == "undo" and "Tom Baker" in first.reply
    assert store.get(created["lead_id"]).email is None
    second = a.send("t", "undo", user_id="u1")
    assert second.actions[0]["type"] == "undo" and "Tom Baker" in second.reply
    assert store.search("Tom Baker") == []
    # The seeded leads are `system`'s (board) changes, not u1's: nothing more to undo.
    assert a.send("t", "undo", user_id="u1").reply == "There is nothing to undo."
    assert len(store.list()) == 5


def test_invalid_field_changes_nothing(store: SqliteLeadStore) -> None:
    a, _ = agent(store, calls(call("update_lead", lead="Sarah", email="not-an-email")))
    result = a.send("t", "Sarah's email is not-an-email")
    assert result.reply.startswith("I couldn't update lead 'Sarah Lee':")
    assert result.actions == []
    assert store.search("Sarah Lee")[0].lead.email == "sarah@techcorp.io"


def test_state_stays_bounded_over_a_long_conversation(store: SqliteLeadStore) -> None:
    script = [calls(call("change_status", lead="Sarah", status=s)) for s in ["Won", "Lost"] * 30]
    a, model = agent(store, *script, window=6)
    for i in range(60):
        a.send("t", f"move {i}")
    messages = a.graph.get_state(a.config("t")).values["messages"]
    assert len(messages) <= 6 * 2 + 4
    assert isinstance(messages[0], HumanMessage)
    assert len(model.received[-1]) <= 7  # system prompt + window


def test_pronoun_without_focus_asks_for_a_name(store: SqliteLeadStore) -> None:
    a, _ = agent(store, calls(call("change_status", lead="him", status="Won")))
    assert (
        a.send("t", "move him to Won").reply == "I'm not sure which lead you mean; please name it."
    )


@pytest.mark.parametrize("text", ["yes, delete it", "Sure, go ahead", "yes please", "confirm."])
def test_yes_with_tails(text: str) -> None:
    assert is_yes(text) and not is_no(text)


@pytest.mark.parametrize(
    "text", ["never mind, keep it", "no, don't delete it", "actually no", "cancel that"]
)
def test_no_with_tails(text: str) -> None:
    assert is_no(text) and not is_yes(text)


@pytest.mark.parametrize("text", ["yes and move John to Won", "no, delete Sarah instead"])
def test_an_answer_with_a_new_request_is_neither(text: str) -> None:
    assert not is_yes(text) and not is_no(text)


def test_a_longer_name_is_someone_else(store: SqliteLeadStore) -> None:
    store.create({"name": "Martin Keller", "company": "Keller AG"})
    lead, candidates = pick("Martina Kellerman", store.search("Martina Kellerman", limit=8))
    assert lead is None and candidates == []
    lead, _ = pick("Martn Keler", store.search("Martn Keler", limit=8))
    assert lead is not None and lead.name == "Martin Keller"


def test_choice_by_email(store: SqliteLeadStore) -> None:
    johns = store.search("John", limit=8)
    choices = [
        {"lead_id": m.lead.id, "label": m.lead.label} for m in johns if "John" in m.lead.name
    ]
    chosen = pick_choice("jdoe@globex.com", choices, store)
    assert chosen == next(m.lead.id for m in johns if m.lead.name == "John Doe")


def test_a_lead_id_is_matched_exactly(store: SqliteLeadStore) -> None:
    sarah = store.search("Sarah Lee")[0].lead
    custom = store.create({"name": "Jane Roe"}, lead_id="crm-4711")
    a, _ = agent(
        store,
        calls(call("change_status", lead=sarah.id, status="Won")),
        calls(call("change_status", lead="crm-4711", status="Lost")),
    )
    assert a.send("t", "move it").reply == "Lead 'Sarah Lee' status updated to 'Won'."
    assert a.send("t", "move it").reply == "Lead 'Jane Roe' status updated to 'Lost'."
    assert store.get(custom.id).status == "Lost"


class FlakyStore(SqliteLeadStore):
    """A SQLite store whose `update`/`get` fail while `down` is set (a database blip)."""

    down: set[str] = set()

    def update(self, *args: object, **kwargs: object):  # type: ignore[override]
        if "update" in self.down:
            raise StoreUnavailable()
        return super().update(*args, **kwargs)

    def get(self, *args: object, **kwargs: object):  # type: ignore[override]
        if "get" in self.down:
            raise StoreUnavailable()
        return super().get(*args, **kwargs)


@pytest.fixture
def flaky(store: SqliteLeadStore) -> FlakyStore:
    flaky = FlakyStore(store.path, store.pipeline)
    flaky.down = set()
    return flaky


def test_a_turn_failing_half_way_says_what_was_done_and_leaves_a_valid_thread(
    flaky: FlakyStore,
) -> None:
    a, model = agent(
        flaky,
        calls(
            call("change_status", lead="Sarah", status="Won"),
            call("update_lead", lead="Johnny", phone="555-0100"),
        ),
        calls(call("find_leads", status="Won")),
    )
    original = SqliteLeadStore.update
    writes = []

    def update_once(self: SqliteLeadStore, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if writes:
            raise StoreUnavailable()
        writes.append(args)
        return original(self, *args, **kwargs)

    FlakyStore.update = update_once  # type: ignore[method-assign]
    try:
        with pytest.raises(StoreUnavailable) as failure:
            a.send("t", "move Sarah to Won and change Johnny's phone")
    finally:
        FlakyStore.update = SqliteLeadStore.update  # type: ignore[method-assign]
    assert "Done before that: Lead 'Sarah Lee' status updated to 'Won'." in failure.value.detail
    assert "Nothing else was changed." in failure.value.detail
    assert flaky.search("Johnny Cash")[0].lead.phone is None

    result = a.send("t", "who is in Won?")  # the thread goes on, as a new turn
    assert result.reply.startswith("1 lead in 'Won':")
    sent = model.received[-1]
    calls_made = [c["id"] for m in sent if isinstance(m, AIMessage) for c in m.tool_calls]
    answered = [m.tool_call_id for m in sent if isinstance(m, ToolMessage)]
    assert set(calls_made) <= set(answered)  # valid input for OpenAI


def test_a_failed_answer_to_a_question_does_not_swallow_the_next_message(
    flaky: FlakyStore,
) -> None:
    a, _ = agent(
        flaky,
        calls(call("change_status", lead="John", status="Won")),
        calls(call("change_status", lead="Sarah", status="Lost")),
    )
    assert a.send("t", "move John to Won").needs == "clarification"
    flaky.down = {"get"}
    with pytest.raises(StoreUnavailable):
        a.send("t", "the one at Acme")
    flaky.down = set()
    assert not a.is_paused("t")
    result = a.send("t", "never mind, move Sarah to Lost")
    assert result.reply == "Lead 'Sarah Lee' status updated to 'Lost'."
    assert {lead.name for lead in flaky.list(status="Won")} == set()


def test_a_lead_edited_after_the_delete_question_is_not_deleted(store: SqliteLeadStore) -> None:
    a, _ = agent(store, calls(call("delete_lead", lead="Sarah")))
    assert a.send("t", "delete Sarah").needs == "confirmation"
    sarah = store.search("Sarah Lee")[0].lead
    store.update(sarah.id, {"notes": "signed a letter of intent"})  # someone else, meanwhile
    result = a.send("t", "yes")
    assert result.reply == "Lead 'Sarah Lee' was changed since you confirmed; nothing was deleted."
    assert result.actions == []
    assert store.get(sarah.id).notes == "signed a letter of intent"


def test_studio_gets_an_input_and_a_context_schema() -> None:
    from agent_service.graph.graph import graph

    assert "messages" in graph.get_input_jsonschema()["properties"]
    context = graph.get_context_jsonschema()
    assert set(context["properties"]) == {
        "crm_model",
        "openai_model",
        "history_window",
        "user_id",
    }


@pytest.mark.parametrize(
    ("resume", "text"),
    [
        ("yes", "yes"),
        (" no ", "no"),
        ({"answer": "yes"}, "yes"),
        ({"message": "the one at Acme"}, "the one at Acme"),
        ({"answer": 3}, ""),
        (2, "2"),
    ],
)
def test_a_resume_value_may_be_a_string_or_structured(resume: object, text: str) -> None:
    assert answer_text(resume) == text


def test_history_periods_and_ages() -> None:
    current = datetime(2026, 11, 29, 9, 30, tzinfo=UTC)
    start, until, words = period("yesterday", current)
    assert start is not None and until is not None and until - start == timedelta(days=1)
    assert until.astimezone().hour == 0 and words == "yesterday"
    assert period(None, current) == (None, None, "recently")
    assert ago(current - timedelta(seconds=5), current) == "just now"
    assert ago(current - timedelta(minutes=2, seconds=5), current) == "2 min ago"
    assert ago(current - timedelta(hours=3), current) == "3 h ago"
    assert ago(current - timedelta(days=1, hours=1), current) == "1 day ago"
    assert ago(current - timedelta(days=30), current) == "on 30 Oct 2026"


class _LogOnly:
    """A store that only has a change log (what `board_focus` reads)."""

    def __init__(self, rows: list[LeadChange]) -> None:
        self.rows = rows
        self.asked: list[dict[str, object]] = []

    def last_seq(self) -> int:
        return max((row.seq for row in self.rows), default=0)

    def changes(self, **query: object) -> list[LeadChange]:
        self.asked.append(query)
        after = int(query.get("after") or 0)  # type: ignore[call-overload]
        rows = [r for r in self.rows if r.seq > after and r.user_id == query["user_id"]]
        rows = [r for r in rows if r.source == query["source"]]
        return sorted(rows, key=lambda r: -r.seq)


def _row(seq: int, lead_id: str, op: str = "update", user: str = "demo") -> LeadChange:
    return LeadChange(
        seq=seq, lead_id=lead_id, user_id=user, source="board", op=op, at=datetime.now(UTC)
    )


def test_board_focus_puts_the_users_board_changes_first_newest_first() -> None:
    store = _LogOnly(
        [_row(1, "a"), _row(2, "b"), _row(3, "c", user="bob"), _row(4, "a"), _row(5, "d")]
    )
    store.rows.append(_row(6, "d", op="delete"))
    context = Context(store=store, actor=Actor(user_id="demo", source="chat"))  # type: ignore[arg-type]
    update = board_focus({"messages": [], "focus": ["x", "b", "d"]}, context)  # a new thread
    assert update == {"seen_seq": 6, "focus": ["a", "b", "x"], "focus_group": 1}
    since = store.asked[0]["since"]
    assert isinstance(since, datetime)
    assert timedelta(minutes=14) < datetime.now(UTC) - since < timedelta(minutes=16)
    # Seen: only later changes count; none → only the seq moves (or nothing at all).
    assert board_focus({"messages": [], "seen_seq": 6}, context) == {}
    store.rows.append(_row(7, "e", user="bob"))
    assert board_focus({"messages": [], "seen_seq": 6}, context) == {"seen_seq": 7}
    # The anonymous `system` user (seeds, scripts, evals) has no board of its own.
    anonymous = Context(store=store, actor=Actor(source="chat"))  # type: ignore[arg-type]
    assert board_focus({"messages": []}, anonymous) == {}


def test_totals_count_every_lead_of_a_stage_not_a_first_page(store: SqliteLeadStore) -> None:
    for index in range(150):
        store.create({"name": f"Bulk {index:03d}", "status": "Won", "value": 100})
    a, _ = agent(store, calls(call("find_leads", status="Won")))
    reply = a.send("t", "what have we won?").reply
    assert reply.splitlines()[0].startswith("150 leads in 'Won', total value 15,000")
