"""The offline grammar's typed slots and its last stage: sure values or no write."""

from __future__ import annotations

import pytest

from agent_service.graph.models import commands
from agent_service.graph.models.commands import CommandParser
from agent_service.graph.models.grammar.history import history_call
from agent_service.graph.models.grammar.recognizers import (
    is_company,
    is_person_name,
    money_problem,
    parse_money,
    person_name_prefix,
)
from agent_service.graph.models.grammar.words import stage_slang, stage_words
from agent_service.settings import DEFAULT_STAGES

PARSER = CommandParser(DEFAULT_STAGES)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("$45k", 45000),
        ("45,000", 45000),
        ("45 grand", 45000),
        ("1.2m", 1_200_000),
        ("€8.5k", 8500),
        ("45k usd", 45000),
        ("USD 45,000", 45000),
        ("$12,000.50", 12000.5),
        ("2 million", 2_000_000),
        ("-5000", -5000),  # kept negative: the action node refuses it
        ("minus $5k", -5000),
    ],
)
def test_money(text: str, amount: float) -> None:
    assert parse_money(text) == amount
    assert money_problem(text) is None


@pytest.mark.parametrize("text", ["40-50k", "$40k to $50k", "between 40k and 50k", "40k–50k"])
def test_money_ranges_are_refused(text: str) -> None:
    assert money_problem(text) == "please give one amount, not a range"


def test_no_money() -> None:
    assert parse_money("soon") is None and parse_money("Q3-2026") != 3


@pytest.mark.parametrize("name", ["Aisha Bello", "o'brien", "J. Smith", "Ana-María López", "Li"])
def test_person_names(name: str) -> None:
    assert is_person_name(name)


@pytest.mark.parametrize(
    "text", ["new lead", "wants a demo in March", "45k", "Meridian Solar", "call him Tuesday"]
)
def test_not_person_names(text: str) -> None:
    assert not is_person_name(text)


def test_name_prefix_leaves_the_rest() -> None:
    assert person_name_prefix("Aisha Bello wants a demo") == ("Aisha Bello", "wants a demo")
    assert person_name_prefix("wants a demo") == ("", "wants a demo")


def test_companies() -> None:
    assert is_company("Bank of America") and is_company("AT&T") and is_company("X Labs")
    assert not is_company("X Labs, not X") and not is_company("the one who wants a demo")


def test_word_lists_are_data() -> None:
    assert stage_words()["closed-won"] == "Won" and stage_words()["dq'd"] == "Lost"
    assert len(stage_slang()) > 100


# -- the grammar end to end: refusals ----------------------------------------------------------


def test_create_without_a_name_asks_for_it() -> None:
    # a create with no name: the create node asks for it (a pending question), nothing written
    assert PARSER.parse("add new lead").calls == [("create_lead", {})]
    assert PARSER.parse("new lead pls").calls == [("create_lead", {})]


def test_leftover_words_become_a_question_not_a_lead() -> None:
    calls = PARSER.parse("add a note to Tom: called back, wants a demo in March").calls
    assert calls == [
        ("update_lead", {"lead": "Tom", "notes": "called back, wants a demo in March"})
    ]


def test_unexplained_words_in_a_create_ask_first() -> None:
    [(name, args)] = PARSER.parse("add Aisha Bello from Meridian Solar, budget freeze").calls
    assert name == "create_lead" and args["name"] == "Aisha Bello"
    assert args["confirm_first"] is True


def test_free_order_create_places_every_value() -> None:
    [(name, args)] = PARSER.parse(
        "new lead: $45k, Meridian Solar, aisha@meridian.com, Aisha Bello, met at the expo"
    ).calls
    assert args == {
        "name": "Aisha Bello",
        "company": "Meridian Solar",
        "email": "aisha@meridian.com",
        "value": 45000,
    }


def test_negative_value_is_passed_on_for_the_node_to_refuse() -> None:
    [(_, args)] = PARSER.parse("set novak's value to -5000").calls
    assert args["value"] == -5000


def test_value_range_is_refused() -> None:
    parsed = PARSER.parse("set Tom's value to 40-50k")
    assert parsed.calls == [] and "not a range" in (parsed.reply or "")


def test_a_company_that_is_a_sentence_asks_first() -> None:
    [(_, args)] = PARSER.parse("change Dana's company to X Labs, not X").calls
    assert args["confirm_first"] is True


def test_replacing_notes_is_explicit() -> None:
    [(_, args)] = PARSER.parse("replace the notes on Tom with: budget approved").calls
    assert args["replace_notes"] is True
    [(_, args)] = PARSER.parse("note for Tom: budget approved").calls
    assert "replace_notes" not in args


@pytest.mark.parametrize(
    ("text", "lead", "stage"),
    [
        ("Dana went dark", "Dana", "Lost"),
        ("DQ'd Bob", "Bob", "Lost"),
        ("booked a demo with Sam 🎉", "Sam", "Meeting booked"),
        ("sent over the proposal to Bob", "Bob", "Proposal sent"),
        ("Tom ghosted us :(", "Tom", "Lost"),
        ("move Tom to closed-won pls 🙏", "Tom", "Won"),
        ("hey can u move Tom to won pls thx!!", "Tom", "Won"),
        ("Sarah signed the PO!!", "Sarah", "Won"),
    ],
)
def test_sales_slang(text: str, lead: str, stage: str) -> None:
    assert PARSER.parse(text).calls == [("change_status", {"lead": lead, "status": stage})]


@pytest.mark.parametrize(
    ("text", "args"),
    [
        ("what changed today?", {"lead": None, "since": "today"}),
        ("who moved John?", {"lead": "John", "since": None}),
        ("history of the Acme lead", {"lead": "Acme", "since": None}),
        ("any changes this week", {"lead": None, "since": "week"}),
    ],
)
def test_lead_history_questions(text: str, args: dict, monkeypatch) -> None:
    assert history_call(text) == [("lead_history", args)]
    monkeypatch.setitem(commands.TOOLS_BY_NAME, "lead_history", object)  # once it is offered
    assert PARSER.parse(text).calls == [("lead_history", args)]


def test_lead_history_is_not_emitted_when_not_offered() -> None:
    if "lead_history" not in commands.TOOLS_BY_NAME:
        assert not PARSER.parse("what changed today?").calls


@pytest.mark.parametrize(
    ("text", "args"),
    [
        ("what's the pipeline worth?", {"open_only": True}),
        ("total in Proposal sent", {"status": "Proposal sent"}),
        ("how much is in Won?", {"status": "Won"}),
        ("which leads have no phone?", {"text": "no phone"}),
        ("anyone without an email", {"text": "no email"}),
    ],
)
def test_totals_and_gaps(text: str, args: dict) -> None:
    assert PARSER.parse(text).calls == [("find_leads", args)]


@pytest.mark.parametrize(
    ("text", "calls"),
    [
        ("mvoe Tom to Won", [("change_status", {"lead": "Tom", "status": "Won"})]),
        ("delte Bob", [("delete_lead", {"lead": "Bob"})]),
        (
            "udpate Tom's email to tom@novak.io",
            [("update_lead", {"lead": "Tom", "email": "tom@novak.io"})],
        ),
        ("Cate is in Won", [("change_status", {"lead": "Cate", "status": "Won"})]),
        ("bump Tom's deal to 60k", [("update_lead", {"lead": "Tom", "value": 60000})]),
        (
            "tom@novak.io is Tom's new email",
            [("update_lead", {"lead": "Tom", "email": "tom@novak.io"})],
        ),
        (
            "Tom has a new email, tom@novak.io",
            [("update_lead", {"lead": "Tom", "email": "tom@novak.io"})],
        ),
        (
            "update Tom: email tom@novak.io, phone 555-0100",
            [("update_lead", {"lead": "Tom", "email": "tom@novak.io", "phone": "555-0100"})],
        ),
        (
            "hey there! hope you're well :) could you kindly update Tom to Proposal sent? cheers",
            [("change_status", {"lead": "Tom", "status": "Proposal sent"})],
        ),
        (
            "good news, Acme signed the contract",
            [("change_status", {"lead": "Acme", "status": "Won"})],
        ),
        (
            "So I had a great call this morning with the folks at Orbit, Dana was super friendly,"
            " anyway please move her to meeting booked, thanks!",
            [("change_status", {"lead": "Dana", "status": "Meeting booked"})],
        ),
    ],
)
def test_breadth(text: str, calls: list) -> None:
    assert PARSER.parse(text).calls == calls


@pytest.mark.parametrize(
    ("text", "args"),
    [
        (
            "create lead Aisha Bello meridian solar 45k",
            {"name": "Aisha Bello", "value": 45000, "company": "Meridian Solar"},
        ),
        (
            "new lead Priya Raman Chennai Cloud 1.2m",
            {"name": "Priya Raman", "value": 1_200_000, "company": "Chennai Cloud"},
        ),
        ("add lead Tom Ortiz 45 grand", {"name": "Tom Ortiz", "value": 45000}),
    ],
)
def test_creates_without_commas(text: str, args: dict) -> None:
    assert PARSER.parse(text).calls == [("create_lead", args)]


@pytest.mark.parametrize(
    ("text", "args"),
    [
        ("Tom's deal: 45k", {"lead": "Tom", "value": 45000}),
        ("put 45k on Tom", {"lead": "Tom", "value": 45000}),
        ("new number for Tom: 555-0100", {"lead": "Tom", "phone": "555-0100"}),
        ("Tom can be reached at 555-0100", {"lead": "Tom", "phone": "555-0100"}),
        ("email for Tom: tom@x.io", {"lead": "Tom", "email": "tom@x.io"}),
        ("use tom@x.io for Tom", {"lead": "Tom", "email": "tom@x.io"}),
        ("set Tom to -5k", {"lead": "Tom", "value": -5000}),
    ],
)
def test_value_and_contact_phrasings(text: str, args: dict) -> None:
    assert PARSER.parse(text).calls == [("update_lead", args)]


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("forty five thousand", 45000),
        ("a hundred and twenty thousand", 120_000),
        ("twelve thousand five hundred", 12500),
        ("fifty grand", 50000),
        ("1.5 million", 1_500_000),  # digits with a scale word stay as they were
    ],
)
def test_money_in_words(text: str, amount: float) -> None:
    assert parse_money(text) == amount


@pytest.mark.parametrize("text", ["the other one", "two three", "one"])
def test_words_that_are_no_amount(text: str) -> None:
    assert parse_money(text) is None


def test_a_range_put_on_a_deal_is_refused_not_read_as_a_move() -> None:
    parsed = PARSER.parse("put 20-30k on the ines duarte deal")
    assert parsed.calls == []
    assert parsed.reply is not None and "one amount" in parsed.reply


@pytest.mark.parametrize(
    ("text", "name"),
    [("add wanjiru kamau", "Wanjiru Kamau"), ("add liam o'connor", "Liam O'Connor")],
)
def test_lower_case_names_are_stored_capitalised(text: str, name: str) -> None:
    (call,) = PARSER.parse(text).calls
    assert call[1]["name"] == name


def test_a_capital_typed_by_the_user_is_kept() -> None:
    (call,) = PARSER.parse("add Lucy deVries").calls
    assert call[1]["name"] == "Lucy deVries"


def test_a_long_lower_case_name_is_asked_about_not_written() -> None:
    """ "bianca russo lumen lighting": where the name ends is a guess, so it is asked."""
    (call,) = PARSER.parse("add bianca russo lumen lighting, phone 333 1234567").calls
    assert call[1]["name"] == "Bianca Russo"
    assert call[1]["company"] == "Lumen Lighting"
    assert call[1]["confirm_first"] is True


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("updte mohammeds emial to m.alsayed@qadira.ae", "email", "m.alsayed@qadira.ae"),
        ("gustavos phne nmber is 11 94567 1234 pls sav it", "phone", "11 94567 1234"),
    ],
)
def test_typos_in_field_words(text: str, field: str, value: str) -> None:
    (call,) = PARSER.parse(text).calls
    assert call[0] == "update_lead" and call[1][field] == value


@pytest.mark.parametrize(
    ("text", "lead"),
    [("lost tom to a competitor", "tom"), ("lisa signed", "lisa"), ("move emil to won", "emil")],
)
def test_real_words_and_names_are_not_corrected_to_verbs(text: str, lead: str) -> None:
    (call,) = PARSER.parse(text).calls
    assert call[0] == "change_status" and call[1]["lead"] == lead


@pytest.mark.parametrize(
    ("text", "stage"),
    [
        ("booked a demo w/ ingrid", "Meeting booked"),
        ("we're in proposal with ravi menon", "Proposal sent"),
        ("fired the quote over to saigon print", "Proposal sent"),
        ("kwame just signed on the dotted line 🎉 mark it", "Won"),
        ("lost tom to a competitor", "Lost"),
    ],
)
def test_more_sales_slang(text: str, stage: str) -> None:
    (call,) = PARSER.parse(text).calls
    assert call == ("change_status", {"lead": call[1]["lead"], "status": stage})


@pytest.mark.parametrize(
    ("text", "args"),
    [
        ("whats the pipeline worth", {"open_only": True}),
        ("how much have we closed so far? 🤑", {"status": "Won"}),
        ("how much is everything in proposal sent worth right now?", {"status": "Proposal sent"}),
        (
            "prepping for my 1:1 with the boss 😅 i said something dumb. btw how much is "
            "everything in proposal sent worth right now?",
            {"status": "Proposal sent"},
        ),
    ],
)
def test_totals_phrasings(text: str, args: dict) -> None:
    assert PARSER.parse(text).calls == [("find_leads", args)]
