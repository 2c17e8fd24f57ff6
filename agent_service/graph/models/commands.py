"""The offline model's command grammar: one chat message → tool calls (or a short reply).

Deterministic and rule-based. A message is split into clauses ("move Ann to Won and Bob to
Lost"); each clause is matched against the phrasings sales people use for every operation:
imperatives ("Move John to Won"), statements of fact ("John signed", "Sarah's phone is
555-0100"), questions ("who is still in Contacted?", "what's his email?"), follow-ups with
pronouns, undo, and small talk that asks for nothing. Lead references are passed on exactly as
written; the lead matcher resolves them. The calls use the same tools as the OpenAI path
(`agent_service.graph.tools`), so the graph cannot tell the two models apart.

`CommandParser` assembles the stages of `agent_service.graph.models.grammar` (see its
docstring for the order and where the word lists live).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from agent_service.graph.models.grammar.clauses import Clauses, _tidy
from agent_service.graph.models.grammar.history import history_call
from agent_service.graph.models.grammar.intent_create import CreateIntents
from agent_service.graph.models.grammar.intent_query import QueryIntents
from agent_service.graph.models.grammar.intent_status import StatusIntents
from agent_service.graph.models.grammar.intent_update import UpdateIntents
from agent_service.graph.models.grammar.normalize import _clean, _ref, _strip_politeness
from agent_service.graph.models.grammar.recognizers import MONEY, is_company
from agent_service.graph.models.grammar.slots import Slots
from agent_service.graph.models.grammar.totals import totals_call
from agent_service.graph.models.grammar.validate import ASK_NAME, missing_name, settle
from agent_service.graph.models.grammar.vocabulary import (
    _EMAIL,
    _PHONE,
    _SMALL_TALK,
    BULK,
    HELP,
    NOT_UNDERSTOOD,
    Call,
    Parsed,
    Refusal,
)
from agent_service.graph.tools import TOOLS_BY_NAME
from agent_service.leads.models import Pipeline

__all__ = ["BULK", "HELP", "NOT_UNDERSTOOD", "CommandParser", "Parsed", "_EMAIL", "_PHONE"]


class CommandParser(QueryIntents, StatusIntents, CreateIntents, UpdateIntents, Slots, Clauses):
    """Turns one message into tool calls for the given pipeline stages."""

    def __init__(self, stages: Sequence[str]) -> None:
        self.pipeline = Pipeline(stages)
        self._rules: list[Callable[[str], list[Call] | None]] = [
            self._undo,
            self._history,
            self._clear_field,
            self._delete,
            self._add_note,
            self._update_imperative,
            self._create,
            self._status_imperative,
            self._query,
            self._update_statement,
            self._status_statement,
            self._slang,
            self._bare_details,
            self._typed_value,
        ]

    def parse(self, message: str) -> Parsed:
        """The calls `message` asks for, each value checked (`validate.settle`), or a reply."""
        # "Kwame has changed to other company, he is by …": news, not a look-up of his company
        message = _OTHER_COMPANY.sub("changed companies", message)
        if (
            _ASKS_ME_TO_ACT.match(_clean(message)) or _IN_MY_CALENDAR.search(message)
        ) and not self._names_a_stage(message):
            # "can you email gareth the proposal pdf and set up a call with him": a request
            # for work outside the CRM; the call is not booked yet, so no stage is written
            return Parsed(reply=OUTSIDE_THE_CRM)
        history = history_call(_clean(message), offered="lead_history" in TOOLS_BY_NAME)
        if history:  # read whole: "today" is a sign-off elsewhere
            return Parsed(calls=history)
        totals = totals_call(_strip_politeness(_clean(message)), self.stage)
        if totals:
            return Parsed(calls=totals)
        # "prepping for my 1:1 … btw how much is everything in Proposal sent worth?": one
        # sentence is a totals question, the others are chatter that asks for nothing.
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", message) if s.strip()]
        if len(sentences) > 1:
            last = totals_call(_strip_politeness(_clean(sentences[-1])), self.stage)
            if last and not self._asks_something(" ".join(sentences[:-1])):
                return Parsed(calls=last)
        undo = UNDO_THEN_WHY.match(_clean(message))
        why = (undo["why"] or undo["why2"] or "") if undo else ""
        if undo and self._right_value(why):
            return Parsed(reply=NOT_UNDERSTOOD)  # a correction: read with the previous turn
        if undo and not (_EMAIL.search(why) or _PHONE.search(why)):
            return Parsed(calls=[("undo", {})])  # "hmm no take that back, that's her personal one"
        if _BARE_NEW.match(_strip_politeness(_clean(message))):
            return Parsed(calls=[("create_lead", {})])  # "new lead pls": a create, no listing
        try:
            parsed = self._parse(message)
        except Refusal as refusal:
            return Parsed(reply=refusal.reply)
        if parsed.calls and _asks_about_the_past(message):
            # "did I already move Lena to Contacted?" asks; it never moves her.
            return Parsed(calls=_looked_up(parsed.calls))
        if parsed.calls:
            calls, reply = settle(parsed.calls, message)
            return Parsed(calls=calls, reply=reply)
        if parsed.reply in (NOT_UNDERSTOOD, ASK_NAME) and missing_name(_clean(message)):
            # the create node asks for the name; a company typed as one is kept
            at = _AT_COMPANY.search(_clean(message))
            company = at.group("company") if at and is_company(at.group("company")) else None
            return Parsed(calls=[("create_lead", {"company": company} if company else {})])
        return parsed

    def _right_value(self, why: str) -> bool:
        """ "scratch that, it's 1.2M": the reason after an undo gives the right amount or
        stage, so the message corrects the change instead of undoing it."""
        said = re.match(
            r"^(?:it'?s|it is|make it|make that|should be|it should be|(?:it )?should have been)"
            r"\s+(?P<v>[^,.;!?]+)",
            why.strip(),
            re.I,
        )
        if not said:
            return False
        value = said["v"].strip()
        return bool(MONEY.fullmatch(value) or self.stage(value))

    def _names_a_stage(self, text: str) -> bool:
        """True when a pipeline stage is named as where to put a lead ("book gareth in for
        Meeting booked", "… as won")."""
        names = "|".join(re.escape(stage) for stage in self.pipeline.stages)
        return bool(
            re.search(rf"\b(?:to|into|in|as|for|under)\s+(?:the\s+)?(?:{names})\b", text, re.I)
        )

    def _asks_something(self, text: str) -> bool:
        """True when `text` holds a request of its own (a call, or a refused one)."""
        try:
            return bool(self._parse(text).calls)
        except Refusal:
            return True

    def _parse(self, message: str) -> Parsed:
        text = _clean(message)
        if not text:
            return Parsed(reply=NOT_UNDERSTOOD)
        key = " ".join(re.sub(r"[!.,]+", " ", text.lower()).split())
        for pattern, reply in _SMALL_TALK:
            if pattern.match(key):
                return Parsed(reply=reply)
        fix = self._field_fix(text)
        if fix:
            return Parsed(calls=fix)
        # "make a note by Dalia: …", "for Bram put in the notes: …": a note for a lead
        text = _NOTE_BY.sub(r"add a note to \g<ref>:", text)
        text = _FOR_X_NOTES.sub(r"add a note to \g<ref>:", text)
        note = _NOTE_WITH_COLON.search(text)
        if note:  # "…chatter…, add a note to kofi: interested, wants a call": all of it is the note
            said = re.sub(
                r"^(?:(?:also|and|plus|oh and|quick)\s+)?(?:a\s+|the\s+)?", "", note.group(0)
            )
            calls = self._add_note(said)
            if calls:
                return Parsed(calls=calls)
        quoted = _QUOTED_NOTE.match(text)
        if quoted:  # "add note for kofi 'prefers WhatsApp, not email' ta": the quote is whole
            return Parsed(
                calls=[("update_lead", {"lead": _ref(quoted["ref"]), "notes": quoted["notes"]})]
            )
        referent = None
        topic = re.match(
            r"^(?:(?:(?:bad|good|sad|great|quick|small|some|an?)\s+)*(?:news|update)\s+)?"
            r"(?:for|on|re|regarding|about|as for|concerning)\s+(?P<ref>[^,:]+?)"
            r"(?:\s+(?:tho|though|then|too))?\s*[,:]\s*(?P<rest>.+)$",
            text,
            re.I,
        )
        if topic:
            referent, text = _ref(topic.group("ref")), topic.group("rest")
        # Free text after "notes:" is data: it is never cut into requests.
        notes = re.search(r"(?:,\s*|\s+)(?:notes?|comment)\s*[:\-—]\s*.+$", text, re.I)
        head, tail = (text[: notes.start()], text[notes.start() :]) if notes else (text, "")
        bulk = False
        fallback: list[Call] | None = None
        for by_comma, clauses in self._splits(head):
            clauses = [*clauses[:-1], clauses[-1] + tail] if clauses else [tail]
            dropped: list[str] = []
            calls = self._parse_clauses(clauses, referent, dropped)
            if calls == "bulk":
                bulk = True
                continue
            if calls and by_comma and calls[0][0] == "create_lead":
                continue  # "Add Sarah, TechCorp, sarah@x.io": commas separate fields
            if isinstance(calls, list):
                calls = [(name, _trimmed(args)) for name, args in calls]
            if calls and not dropped and not any(_odd_reference(a.get("lead")) for _, a in calls):
                return Parsed(calls=_tidy(calls))
            if calls and fallback is None:
                fallback = calls  # some clauses were context ("he stopped answering")
        if fallback:
            return Parsed(calls=_tidy(fallback))
        if bulk:
            return Parsed(reply=BULK)
        stripped = _strip_politeness(text).lower()
        for pattern, reply in _SMALL_TALK:
            if pattern.match(stripped):
                return Parsed(reply=reply)
        return Parsed(reply=NOT_UNDERSTOOD)


_AT_COMPANY = re.compile(
    r"\b(?:at|from|with)\s+(?P<company>[A-Z][\w&.'-]*(?:\s+(?:&\s+)?[A-Z][\w&.'-]*){0,3})"
)
UNDO_THEN_WHY = re.compile(
    r"^\W*(?:(?:hmm+|no|nope|nah|ugh|oops|whoops|wait|hang on|hold on|actually|sorry|argh|damn"
    r"|oh|ah|arre|arey|oh no|oh god|omg|shoot|crap|dang|ups|pardon|apologies|no+|nvm|nevermind"
    r"|never mind|meh|welp|hmm ok)"
    r"[,!.]*\s+)*(?:undo|take (?:that|it) back|revert|ctrl\s*\+?\s*z|cmd\s*\+?\s*z|scratch that"
    r"|roll ?back|(?:make|put|change|set|turn) (?:it|that) back|go back|revert (?:it|that) back)"
    r"(?:\s+(?:that|it|this|the last (?:one|change)))?(?:\s+(?:pls|please|plz))?"
    r"\s*(?:[,.;:!—–-]+\s*(?P<why>.*)"
    # dictated, no comma: "undo that shes still keen"
    r"|\s+(?P<why2>(?:she|he|they|shes|hes|theyre|she's|he's|they're|it|its|it's|we|i|i'm|im"
    r"|wrong|my bad|sorry|not|that was|that's|thats|fat[- ]?fingered|misclicked|wrong button"
    r"|lol|haha|oops)\b.*))?$",
    re.I,
)
_BARE_NEW = re.compile(
    r"^(?:(?:a|another|one more)\s+)?new\s+(?:lead|contact|prospect|client|customer)"
    r"(?:\s+(?:pls|please|plz|for me|here|incoming))*[\s.!]*$",
    re.I,
)
_NOTE_WITH_COLON = re.compile(
    # "also a note on Rafael Soto: landlord approved the mezzanine": the verb left out
    r"(?:\b(?:add|put|leave|write|attach|log|save|make|jot(?:\s+down)?|drop)\s+|^(?:(?:also|and|plus"
    r"|oh and|quick)\s+)?(?=(?:a\s+|the\s+)?(?:quick\s+)?notes?\s+(?:to|for|on|about)\s))(?:a\s+|the\s+)?"
    r"(?:quick\s+)?notes?\s+(?:to|for|on|about|against)\s+[^:,.!?]{1,40}?\s*:\s*\S.*$",
    re.I,
)
OUTSIDE_THE_CRM = (
    "I can't send e-mails or book meetings; I keep your leads (stages, details, notes)."
    " Nothing was changed."
)
_ASKS_ME_TO_ACT = re.compile(
    r"^\W*(?:(?:hey|hi|ok|okay|also|and)[,\s]+)*(?:(?:can|could|would|will)\s+(?:you|u|ya)\s+"
    r"|(?:please|pls|plz)\s+)(?:please\s+|pls\s+|also\s+|quickly\s+)?(?:e-?mail|send|mail|text"
    r"|message|whatsapp|ring|phone|schedule|set up|book|arrange|invite|remind|forward|draft|write"
    r"|call)\s+(?!(?:it|that|him|her|them)\s+(?:to|in|as)\b|me\b|us\b)",
    re.I,
)
# "can u put a call in my calendar w olivia marsh for fri 10am": the user's calendar
_IN_MY_CALENDAR = re.compile(
    r"\b(?:put|add|block|pop|stick|schedule|book|set)\b[^.?!]{0,40}\b(?:in|on|into|to)\s+(?:my|our|the"
    r"|your)\s+(?:calendar|cal|diary|schedule|outlook|gcal|google calendar)\b",
    re.I,
)
_OTHER_COMPANY = re.compile(
    r"\b(?:has\s+|have\s+)?(?:changed|moved|switched|gone|went)\s+(?:to\s+)?(?:(?:an?\s*)?other|a\s+new"
    r"|a\s+different)\s+(?:company|firm|employer|job)\b",
    re.I,
)
_NOTE_BY = re.compile(
    r"\b(?:add|put|leave|write|make|jot(?:\s+down)?|drop)\s+(?:a\s+|the\s+)?(?:quick\s+)?notes?\s+"
    r"(?:by|at|with|of|under|in)\s+(?P<ref>[^:,.!?]{1,40}?)\s*:",
    re.I,
)
_FOR_X_NOTES = re.compile(
    r"^(?:for|on|to)\s+(?P<ref>[^:,.!?]{1,40}?)\s*,?\s+(?:pls\s+|please\s+)?(?:put|add|write|jot|note"
    r"|save)(?:\s+(?:down|it|this))?\s+(?:in|into|to|on)\s+(?:the\s+|his\s+|her\s+|their\s+)?notes?\s*:",
    re.I,
)
_QUOTED_NOTE = re.compile(
    r"^(?:(?:pls|please|can you|could you|kindly)\s+)?(?:add|put|leave|write|attach|log|save|make"
    r"|jot(?: down)?|drop)?\s*(?:a\s+|the\s+)?(?:quick\s+)?notes?\s+(?:for|on|to|about|against)\s+"
    r"(?P<ref>[^'\"‘“:]{2,40}?)\s*[:,-]?\s*['\"‘“](?P<notes>[^'\"’”]{2,500})['\"’”]"
    r"(?:\s+(?:pls|please|thanks|thx|ta|cheers|ty))?[\s.!]*$",
    re.I,
)
_PAST_QUESTION = re.compile(
    r"^\W*(?:did|have|has|had|was|were)\s+(?:i|we|you|they|he|she|someone|anyone|somebody|"
    r"anybody|\w+)\b",
    re.I,
)
_WRITES = frozenset({"create_lead", "update_lead", "change_status", "delete_lead", "undo"})


def _asks_about_the_past(message: str) -> bool:
    """A yes/no question about what was done ("did I move Lena?", "has Tom been moved to
    Won?", "was Sarah's email changed?"): answered from the store, never carried out."""
    text = _clean(message).strip()
    if not _PAST_QUESTION.match(text):
        return False
    asked = message.rstrip(" \t\n.!)🙏😊🙂").endswith("?")
    return asked or text.lower().startswith(("did ", "have i ", "have we "))


def _looked_up(calls: list[Call]) -> list[Call]:
    """The writes of a question about the past turned into look-ups of their leads."""
    looked: list[Call] = []
    for name, args in calls:
        if name not in _WRITES:
            looked.append((name, args))
        elif args.get("lead") and ("find_leads", {"lead": args["lead"]}) not in looked:
            looked.append(("find_leads", {"lead": args["lead"]}))
    return looked


_NOT_IN_REFERENCES = re.compile(
    r"[,!?;—–]|\.\s|\b(?:please|pls|kindly|could|would|hope|anyway|has|have|had|got|new|"
    r"move|update|mark|set|change|put|was|were)\b",
    re.I,
)


def _odd_reference(reference: str | None) -> bool:
    """A lead reference that swallowed chatter ("there! hope you're well could you kindly
    update Tom"): a shorter clause of the message holds the real one."""
    if not reference:
        return False
    return bool(_NOT_IN_REFERENCES.search(reference)) or len(reference.split()) > 5


_CHATTER = re.compile(
    r"\b(?:please|pls|kindly|could you|would you|anyway|move|update|mark|set|change|put)\b|[!—–]",
    re.I,
)


def _trimmed(args: dict[str, Any]) -> dict[str, Any]:
    """ "anyway please move her" → "her": a reference cut after the chatter it swallowed."""
    reference = args.get("lead")
    if not _odd_reference(reference):
        return args
    if not _CHATTER.search(reference):
        return args
    tail = _CHATTER.split(reference)[-1].strip(" '’:-")
    pronoun = bool(tail) and tail.split()[0].lower() in {
        "him",
        "her",
        "them",
        "it",
        "he",
        "she",
        "they",
    }
    if tail and not pronoun and len(tail.split()) <= 4 and not _NOT_IN_REFERENCES.search(tail):
        return {**args, "lead": tail}
    return args
