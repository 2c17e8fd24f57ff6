"""The offline model's command grammar: one chat message → tool calls (or a short reply).

Deterministic and rule-based. A message is split into clauses ("move Ann to Won and Bob to
Lost"); each clause is matched against the phrasings sales people use for every operation:
imperatives ("Move John to Won"), statements of fact ("John signed", "Sarah's phone is
555-0100"), questions ("who is still in Contacted?", "what's his email?"), follow-ups with
pronouns, undo, and small talk that asks for nothing. Lead references are passed on exactly as
written; the lead matcher resolves them. The calls use the same tools as the OpenAI path
(`agent_service.graph.tools`), so the graph cannot tell the two models apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from agent_service.graph.models.history import history_call
from agent_service.graph.models.recognizers import (
    EMAIL,
    PHONE,
    is_company,
    is_person_name,
    looks_like_company,
    money_problem,
    parse_money,
    person_name_prefix,
)
from agent_service.graph.models.totals import totals_call
from agent_service.graph.models.validate import ASK_NAME, missing_name, settle
from agent_service.graph.models.words import fillers, is_chatter, stage_slang, stage_words
from agent_service.graph.tools import TOOLS_BY_NAME
from agent_service.leads.models import Pipeline

Call = tuple[str, dict[str, Any]]


@dataclass
class Parsed:
    """The calls a message asks for, or the reply to a message that asks for none."""

    calls: list[Call] = field(default_factory=list)
    reply: str | None = None


HELP = (
    "I can add, update, move, delete and look up leads, and undo the last change. "
    "For example: 'Move John to Meeting booked' or 'Add new lead Sarah from TechCorp'."
)
NOT_UNDERSTOOD = (
    "I couldn't understand that request; nothing was changed. "
    "Try for example 'Move John to Meeting booked'."
)
BULK = "I change leads one at a time; please name the lead."

# --- small talk ------------------------------------------------------------------------------

_SMALL_TALK: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"^(hi|hello|hey|hiya|howdy|yo|greetings|good (morning|afternoon|evening|day))"
            r"( there| team| all| bot| assistant)?$"
        ),
        "Hello. How can I help with your leads?",
    ),
    (
        re.compile(
            r"^((thanks|thank you|thx|ty|cheers|much appreciated|appreciate it)"
            r"( (so|very) much| a lot| again| mate| buddy)?|great,? thanks|ok,? thanks"
            r"|perfect,? thanks|awesome,? thanks|nice,? thanks|cool,? thanks)$"
        ),
        "You're welcome.",
    ),
    (
        re.compile(r"^(bye|goodbye|see you|see ya|cya|later|have a (good|nice) (day|one))$"),
        "Goodbye.",
    ),
    (
        re.compile(
            r"^(help|what can you do|how does this work|what do you do|who are you"
            r"|what are you|how do i use (this|you)|commands|options|\?)$"
        ),
        HELP,
    ),
    (
        re.compile(r"^(how are you|how's it going|how are things|what's up|sup|wassup)$"),
        "I'm ready to help with your leads.",
    ),
    (
        re.compile(
            r"^(ok|okay|k|cool|great|nice|perfect|awesome|got it|good|fine|alright|all right"
            r"|sounds good|noted|understood|excellent|wonderful|brilliant|lol|haha|:\)|👍)$"
        ),
        "Understood.",
    ),
    (
        re.compile(r"^(yes|yeah|yep|sure|no|nope|nah|y|n|confirm|cancel)$"),
        "There is nothing waiting for an answer right now.",
    ),
]

_POLITE_PREFIX = re.compile(
    r"^(?:(?:hey|hi|hello|ok|okay|so|alright|right|well|um|uh|oh|and|also|then|now|actually"
    r"|quick one|quickly|btw|by the way|oops|sorry|great|cool|thanks|perfect|wait|no wait"
    r"|forget it|forget that|never mind|nevermind|hmm|ah|oh well|fine|good|nice|excellent)[,!.:]?\s+"
    r"|(?:can|could|would|will) (?:you|u|ya)(?: please| pls| plz)?\s+|please\s+|pls\s+|plz\s+|kindly\s+"
    r"|i(?:'d| would) like (?:you )?to\s+|i want (?:you )?to\s+|i need (?:you )?to\s+"
    r"|i wanna\s+|let's\s+|lets\s+|go ahead and\s+|just\s+|you can\s+|help me\s+"
    r"|i think (?:we|you) should\s+|(?:we|you) should\s+|(?:we|i) need to\s+|(?:we|i) have to\s+"
    r"|i(?:'d| would) like\s+(?=(?:a|the) (?:list|details))"
    r")+",
    re.I,
)
_POLITE_SUFFIX = re.compile(
    r"(?:[,\s]+(?:please|pls|plz|thanks|thank you|thx|for me|asap|now|right now|too|as well"
    r"|again|real quick|quickly|today|yesterday|this morning|this afternoon|just now|at last"
    r"|finally|for real))+$",
    re.I,
)

# --- vocabulary ------------------------------------------------------------------------------

_FIELD_WORDS = {
    "email": "email",
    "e-mail": "email",
    "email address": "email",
    "e-mail address": "email",
    "mail": "email",
    "mail address": "email",
    "phone": "phone",
    "phone number": "phone",
    "number": "phone",
    "telephone": "phone",
    "tel": "phone",
    "cell": "phone",
    "cell number": "phone",
    "mobile": "phone",
    "mobile number": "phone",
    "company": "company",
    "company name": "company",
    "employer": "company",
    "firm": "company",
    "organisation": "company",
    "organization": "company",
    "org": "company",
    "name": "name",
    "full name": "name",
    "value": "value",
    "deal value": "value",
    "deal size": "value",
    "deal amount": "value",
    "amount": "value",
    "worth": "value",
    "budget": "value",
    "note": "notes",
    "notes": "notes",
    "status": "status",
    "stage": "status",
}
_FIELD = "|".join(sorted((re.escape(w) for w in _FIELD_WORDS), key=len, reverse=True))
_UPDATE_FIELD = "|".join(
    sorted((re.escape(w) for w, f in _FIELD_WORDS.items() if f != "status"), key=len, reverse=True)
)
_PRONOUN_OWNER = {
    "his": "him",
    "her": "her",
    "their": "them",
    "its": "it",
    "the": "that lead",
    "this": "that lead",
    "that": "that lead",
    "the lead's": "that lead",
}
_OWNER = r"(?:his|her|their|its|the|this|that)"

_EMAIL = EMAIL
_PHONE = PHONE

_BULK = re.compile(r"^(?:all|every|everyone|everybody|each)\b", re.I)
_ALL = re.compile(
    r"^(all|all (the |my |our )?leads|every lead|everyone|everybody|all of them|them all"
    r"|the whole (pipeline|board|list)|everything)$",
    re.I,
)

_LIST_NOUN = (
    r"(?:leads?|deals?|contacts?|people|prospects?|customers?|clients?|opportunities|"
    r"opps|accounts?|folks|ones|guys)"
)
_TAIL = r"(?:\s+(?:stage|column|status|phase|bucket|list|pile))?(?:\s+(?:right now|now|currently|at the moment|today))?"


_WHEN = {
    "for",
    "on",
    "next",
    "tomorrow",
    "today",
    "tonight",
    "this",
    "at",
    "by",
    "from",
    "after",
    "before",
    "until",
    "asap",
    "now",
    "yesterday",
    "already",
    "-",
    "—",
}
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d]+")


_EMOTICON = re.compile(r"(?<!\S)(?:[:;=]-?[()DPp/\\|*]+|<3|\^\^|xD)(?!\S)")


def _clean(text: str) -> str:
    text = _EMOTICON.sub(" ", _EMOJI.sub(" ", text)).strip().strip("\"'`").strip()
    text = re.sub(r"\s+", " ", text)
    return text.rstrip(" .!?,;:")


@cache
def _closers() -> re.Pattern[str]:
    """Sign-offs from `lexicon/fillers.yaml` ("lol", "cheers", "when you get a chance")."""
    words = sorted((re.escape(w) for w in fillers()[1]), key=len, reverse=True)
    return re.compile(rf"(?:[,\s]+(?:{'|'.join(words)}))+$", re.I)


def _strip_politeness(text: str) -> str:
    previous = None
    while previous != text:
        previous = text
        text = _POLITE_PREFIX.sub("", text).strip()
        text = _POLITE_SUFFIX.sub("", text).strip()
        text = _closers().sub("", text).strip()
        text = text.rstrip(" .!?,;:").strip()
    return text


def _stage_words(text: str) -> str:
    """ "the Proposal sent column" → "Proposal sent"."""
    cleaned = re.sub(r"^(?:the|a|an)\s+", "", _clean(text), flags=re.I)
    return re.sub(
        r"\s+(?:stage|column|status|phase|bucket|list|pile|lane)$", "", cleaned, flags=re.I
    )


def _company(text: str) -> str:
    """A company as written: "Globex Inc." keeps its dot; "Finch at the expo" loses the rest."""
    name = re.sub(
        r"\s+(?:at|on|in|during|over|after)\s+(?:the|a|an|our|their|last|this)\s+.*$",
        "",
        _clean(text),
        flags=re.I,
    )
    if re.search(rf"\b{re.escape(name.split()[-1] if name else '')}\.", text) and re.search(
        r"\b(?:inc|ltd|co|corp|llc|plc|bros|intl)$", name, re.I
    ):
        name += "."
    return name


def _ref(text: str) -> str:
    """A lead reference as the matcher expects it: no quotes, possessive or filler."""
    text = _clean(text)
    text = re.sub(
        r"^(?:lead|contact|prospect|client|customer|deal|the lead|the contact)\s+",
        "",
        text,
        flags=re.I,
    )
    text = re.sub(r"(?:'s|’s|s')$", "", text)
    owned = re.match(
        r"^(his|her|their|its|the|this|that)\s+(?:deal|lead|account|opportunity|one|contact)$",
        text,
        re.I,
    )
    if owned:  # "his deal", "the deal": the lead in focus
        return _PRONOUN_OWNER[owned.group(1).lower()]
    owner = text.lower()
    if owner in _PRONOUN_OWNER and owner not in {"the", "this", "that"}:
        return _PRONOUN_OWNER[owner]
    return text.strip()


def _strip_title(text: str) -> str:
    return re.sub(r"^(?:called|named|name:?|mr\.?|ms\.?|mrs\.?|dr\.?)\s+", "", text, flags=re.I)


class CommandParser:
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
        ]

    # -- entry point ---------------------------------------------------------------------------

    def parse(self, message: str) -> Parsed:
        """The calls `message` asks for, each value checked (`validate.settle`), or a reply."""
        history = history_call(_clean(message), offered="lead_history" in TOOLS_BY_NAME)
        if history:  # read whole: "today" is a sign-off elsewhere
            return Parsed(calls=history)
        totals = totals_call(_strip_politeness(_clean(message)), self.stage)
        if totals:
            return Parsed(calls=totals)
        try:
            parsed = self._parse(message)
        except Refusal as refusal:
            return Parsed(reply=refusal.reply)
        if parsed.calls:
            calls, reply = settle(parsed.calls, message)
            return Parsed(calls=calls, reply=reply)
        if parsed.reply == NOT_UNDERSTOOD and missing_name(_clean(message)):
            return Parsed(reply=ASK_NAME)
        return parsed

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
        referent = None
        topic = re.match(
            r"^(?:for|on|re|regarding|about|as for|concerning)\s+(?P<ref>[^,:]+?)\s*[,:]\s*(?P<rest>.+)$",
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
            if calls and not dropped and not any("," in (a.get("lead") or "") for _, a in calls):
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

    def _field_fix(self, text: str) -> list[Call] | None:
        """ "John's email changed, it's now j@x.io": the field named first, the value after."""
        match = re.match(
            rf"^(?P<ref>[^,.;]+?)(?:'s|’s|s')\s+(?:new\s+|old\s+)?(?P<field>{_UPDATE_FIELD})\b[^,;]*?"
            r"(?:[,;.]|\s+-|\s+but)\s*(?:but\s+|so\s+|and\s+)?(?:it(?:'s| is| should be| has to be| must be| needs to be)"
            r"|its|should be|the new one is|new one is|the (?:correct|right|real) one is|it changed to|now it's|now)"
            r"\s+(?:now\s+|actually\s+|really\s+)?(?P<value>\S+)$",
            text,
            re.I,
        )
        if not match:
            return None
        name = _FIELD_WORDS[match.group("field").lower()]
        if name not in {"email", "phone"}:
            return None
        value = self._field_value(name, match.group("value"))
        valid = _EMAIL.fullmatch(str(value)) if name == "email" else _PHONE.fullmatch(str(value))
        if not valid:
            return None
        return [("update_lead", {"lead": _ref(match.group("ref")), name: value})]

    def _splits(self, text: str) -> list[tuple[bool, list[str]]]:
        """Ways to cut the message into clauses, most clauses first; the whole message last."""
        strong = re.split(
            r"\s*(?:;|\n+|(?<=[a-z0-9)])[.!?]\s+(?=[A-Za-z])|,?\s+and then\s+|,?\s+then\s+"
            r"|,?\s+and also\s+|,?\s+also\s+|,?\s+plus\s+)\s*",
            text,
        )
        ways: list[tuple[bool, list[str]]] = []
        with_and = [p for part in strong for p in re.split(r",?\s+and\s+|,?\s+&\s+", part)]
        with_commas = [p for part in with_and for p in re.split(r"[,!]\s+(?=\w)", part)]
        candidates = (
            (with_commas != with_and, with_commas),
            (False, with_and),
            (False, strong),
            (False, [text]),
        )
        for by_comma, way in candidates:
            way = [w for w in way if w and w.strip()]
            if all(way != seen for _, seen in ways):
                ways.append((by_comma, way))
        return ways

    def _parse_clauses(
        self, clauses: list[str], referent: str | None, dropped: list[str]
    ) -> list[Call] | str | None:
        """Calls of every clause; clauses that ask for nothing ("he stopped answering") are
        context: a lead they name is what later pronouns in the message refer to."""
        calls: list[Call] = []
        verb = ""
        last_lead = ""
        for clause in clauses:
            clause = _strip_politeness(_clean(clause))
            if not clause:
                continue
            found = self._parse_clause(clause)
            if found is None and verb and not _STATEMENT.search(clause):
                found = self._parse_clause(f"{verb} {clause}")  # "…, Bob to Lost"
            if found == "bulk":
                return "bulk"
            if found is None:
                if (
                    len(clauses) == 1
                    or _EMAIL.search(clause)
                    or _PHONE.search(clause)
                    or (
                        clause.split()[0].lower() in _ACTION_VERBS
                        # "…, update her" / "…, mark it" only repeats the request
                        and not re.fullmatch(
                            r"\w+\s+(?:him|her|them|it|that|this|that one|accordingly)",
                            clause,
                            re.I,
                        )
                    )
                ):
                    return None  # an unparsed request, not context
                referent = _mentioned_lead(clause) or referent
                dropped.append(clause)
                continue
            if calls and calls[-1][0] == "create_lead" and _completes_create(found, calls[-1][1]):
                continue
            for name, args in found:
                if name in _LEAD_TOOLS:
                    lead = args.get("lead")
                    if not lead or _is_pronoun(lead):
                        args["lead"] = referent or lead or last_lead or "that lead"
                    last_lead = args["lead"]
                    referent = None if _is_pronoun(last_lead) else last_lead
                elif name == "create_lead":
                    referent, last_lead = None, "that lead"  # the new lead is in focus
                calls.append((name, args))
            first = clause.split()[0].lower()
            if first in _CARRY_VERBS:
                verb = _CARRY_VERBS[first]
        return calls or None

    def _parse_clause(self, clause: str) -> list[Call] | str | None:
        for rule in self._rules:
            try:
                found = rule(clause)
            except _Bulk:
                return "bulk"
            if found:
                return found
        return None

    # -- helpers ---------------------------------------------------------------------------------

    def stage(self, text: str) -> str | None:
        """The stage `text` names (synonyms included), or None."""
        cleaned = _stage_words(text)
        found = self.pipeline.resolve(cleaned)
        if found:
            return found
        synonym = stage_words().get(cleaned.lower())
        if synonym and self.pipeline.find(synonym):
            return self.pipeline.find(synonym)
        # "meeting booked for next tue": a stage, then when.
        words = cleaned.split()
        for cut in range(len(words) - 1, 0, -1):
            if words[cut].lower() in _WHEN:
                found = self.pipeline.resolve(" ".join(words[:cut]))
                if found:
                    return found
        return None

    def _stage_arg(self, text: str) -> str:
        """The stage as the user wrote it, without filler (validated by the action node)."""
        cleaned = _stage_words(text)
        return self.stage(cleaned) or cleaned

    @staticmethod
    def _check_bulk(reference: str) -> None:
        if _ALL.match(_clean(reference)) or _BULK.match(_clean(reference)):
            raise _Bulk

    def _field_value(self, field_name: str, raw: str) -> Any:
        value = _clean(raw)
        value = re.sub(r"^(?:to|as|is|=|:|->|→)\s+", "", value, flags=re.I)
        if field_name == "email":
            found = _EMAIL.search(value)
            return found.group(0).lower() if found else value
        if field_name == "phone":
            found = _PHONE.search(value)
            return _clean(found.group(0)) if found else value
        if field_name == "value":
            problem = money_problem(value)
            if problem:
                raise Refusal(f"I couldn't set the deal value: {problem}. Nothing was changed.")
            return parse_money(value)
        return value.strip("\"'")

    # -- rules -----------------------------------------------------------------------------------

    def _history(self, clause: str) -> list[Call] | None:
        """ "what changed today?", "who moved John?" (only when the tool is offered)."""
        return history_call(clause, offered="lead_history" in TOOLS_BY_NAME)

    def _undo(self, clause: str) -> list[Call] | None:
        if re.match(
            r"^(?:undo|revert|roll ?back|rollback|reverse|take (?:that|it) back|put (?:it|that) back"
            r"|cancel (?:that|the last (?:change|action|one))|scratch that|undo (?:that|this|it)"
            r"|(?:undo|revert|reverse|roll ?back) (?:that|this|it|the last (?:change|action|edit|one|update|thing)"
            r"|my last (?:change|action|edit)|what you (?:just )?did|the (?:last )?(?:change|update|move)"
            r"|last (?:change|action|edit|step))|that was (?:a mistake|wrong)(?:,? undo(?: it)?)?"
            r"|go back|restore (?:it|that|the last change)|oops,? undo(?: that)?)$",
            clause,
            re.I,
        ):
            return [("undo", {})]
        return None

    def _clear_field(self, clause: str) -> list[Call] | None:
        verbs = r"(?:remove|delete|clear|drop|erase|wipe|blank|empty|get rid of|take off|unset)"
        patterns = [
            rf"^{verbs}\s+(?P<ref>.+?)(?:'s|’s|s')\s+(?P<field>{_UPDATE_FIELD})$",
            rf"^{verbs}\s+(?:the\s+)?(?P<field>{_UPDATE_FIELD})\s+(?:of|for|from|on)\s+(?P<ref>.+)$",
            rf"^{verbs}\s+(?P<owner>{_OWNER})\s+(?P<field>{_UPDATE_FIELD})$",
        ]
        for pattern in patterns:
            match = re.match(pattern, clause, re.I)
            if match:
                name = _FIELD_WORDS[match.group("field").lower()]
                if name == "name":
                    return None
                reference = self._owner_ref(match)
                self._check_bulk(reference)
                return [("update_lead", {"lead": reference, name: ""})]
        return None

    @staticmethod
    def _owner_ref(match: re.Match[str]) -> str:
        groups = match.groupdict()
        if groups.get("owner"):
            return _PRONOUN_OWNER[groups["owner"].lower()]
        return _ref(groups["ref"])

    def _delete(self, clause: str) -> list[Call] | None:
        match = re.match(
            r"^(?:delete|remove|erase|drop|trash|bin|get rid of|purge|discard|kill|nuke|axe"
            r"|scrap|ditch|throw out|take out|archive)\s+(?P<ref>.+?)"
            r"(?:\s+(?:from|off|out of)\s+(?:the\s+|my\s+|our\s+)?(?:crm|pipeline|board|system"
            r"|list|database|db|leads|kanban))?(?:\s+(?:completely|permanently|for good))?$",
            clause,
            re.I,
        ) or re.match(  # "get Emeka out of the CRM": these verbs delete only with the place
            r"^(?:get|take|kick|throw|pull)\s+(?P<ref>.+?)\s+(?:out of|off|from)\s+(?:the\s+|my\s+|our\s+)?"
            r"(?:crm|pipeline|board|system|list|database|db|kanban)$",
            clause,
            re.I,
        )
        if not match:
            return None
        reference = _ref(match.group("ref"))
        reference = re.sub(
            r"^(?:the\s+)?(?:lead|contact)\s+(?:for|of)\s+", "", reference, flags=re.I
        )
        if re.search(rf"\b(?:{_UPDATE_FIELD})$", reference, re.I) and "'" in reference:
            return None
        moved = re.search(r"\s(?:to|into|in)\s+(?P<s>.+)$", reference, re.I)
        if moved and self.stage(moved.group("s")):
            return None  # "drop John to Lost" moves the lead
        self._check_bulk(reference)
        if not reference:
            return None
        return [("delete_lead", {"lead": lead}) for lead in _each(reference)]

    def _add_note(self, clause: str) -> list[Call] | None:
        patterns = [
            r"^(?:add|put|leave|write|attach|log|save|make)\s+(?:a\s+|the\s+)?notes?\s+(?:to|for|on|about)\s+(?P<ref>.+?)\s*(?::|-|,|—|saying|that says|that)\s*(?P<notes>.+)$",
            r"^(?:add|put|leave|write|attach|log|save)\s+(?:a\s+)?notes?\s*(?::|-|—|saying|that says)\s*(?P<notes>.+?)\s+(?:to|for|on)\s+(?P<ref>[^,]+)$",
            r"^(?:add|put|leave|write|attach|log|save)\s+(?:a\s+)?notes?\s*(?::|-|—|saying|that says)\s*(?P<notes>.+)$",
            r"^notes?\s+(?:for|on|to)\s+(?P<ref>.+?)\s*(?::|-|—)\s*(?P<notes>.+)$",
        ]
        for pattern in patterns:
            match = re.match(pattern, clause, re.I)
            if match:
                groups = match.groupdict()
                reference = _ref(groups["ref"]) if groups.get("ref") else "that lead"
                return [("update_lead", {"lead": reference, "notes": _clean(groups["notes"])})]
        return None

    def _update_imperative(self, clause: str) -> list[Call] | None:
        verbs = (
            r"(?:change|update|set|make|fix|correct|edit|replace|modify|switch|put|add|use"
            r"|save|enter|record|store|bump|raise|increase|lower|reduce|up|adjust)"
        )
        patterns = [
            rf"^{verbs}\s+(?P<ref>.+?)(?:'s|’s|s')\s+(?:new\s+)?(?P<field>{_UPDATE_FIELD})(?:\s+(?:address|number))?\s*(?:to|=|:|->|→|as|with|into|is)?\s*(?P<value>.+)$",
            rf"^{verbs}\s+(?:the\s+)?(?P<field>{_UPDATE_FIELD})(?:\s+(?:address|number))?\s+(?:of|for|on)\s+(?P<ref>.+?)\s*(?:to|=|:|->|→|as|with|into|is)\s*(?P<value>.+)$",
            rf"^{verbs}\s+(?P<owner>{_OWNER})\s+(?:new\s+)?(?P<field>{_UPDATE_FIELD})(?:\s+(?:address|number))?\s*(?:to|=|:|->|→|as|with|into|is)?\s*(?P<value>.+)$",
            rf"^(?:add|put|save|set|use|enter|record|store)\s+(?:the\s+)?(?P<field>{_UPDATE_FIELD})(?:\s+(?:address|number))?\s*:?\s+(?P<value>.+?)\s+(?:to|for|on|as)\s+(?P<ref>[^,]+?)(?:'s\s+(?:email|phone|number))?$",
            r"^(?:update|change|edit|modify|set)\s+(?P<ref>[^:]+?)\s*:\s*(?P<pairs>.+)$",
            rf"^(?:update|change|edit|modify|set)\s+(?P<ref>.+?)\s+(?:with|to have)\s+(?P<pairs>.*(?:{_UPDATE_FIELD}).*)$",
            r"^(?:rename|call)\s+(?P<ref>.+?)\s+(?:to|as)\s+(?P<value>.+)$",
            rf"^(?:set|change|update|make)\s+(?:the\s+)?(?P<field>{_UPDATE_FIELD})\s+(?:to|=|:|as)\s+(?P<value>.+)$",
        ]
        for index, pattern in enumerate(patterns):
            match = re.match(pattern, clause, re.I)
            if not match:
                continue
            groups = match.groupdict()
            if groups.get("pairs") is not None:
                args = self._pairs(groups["pairs"])
                if not args:
                    continue
                reference = _ref(groups["ref"])
                self._check_bulk(reference)
                return [("update_lead", {"lead": reference, **args})]
            if index == 6:  # rename
                reference = _ref(groups["ref"])
                return [("update_lead", {"lead": reference, "name": _clean(groups["value"])})]
            name = _FIELD_WORDS[groups["field"].lower()]
            value = self._field_value(name, groups["value"])
            if value in (None, ""):
                continue
            reference = self._owner_ref(match) if groups.get("owner") or groups.get("ref") else None
            if reference is not None:
                self._check_bulk(reference)
            args: dict[str, Any] = {name: value}
            if reference:
                args = {"lead": reference, **args}
            return [("update_lead", args)]
        return None

    def _pairs(self, text: str) -> dict[str, Any]:
        """`email j@x.com, phone 555-0100` → {"email": ..., "phone": ...}."""
        args: dict[str, Any] = {}
        parts = re.split(r",\s*|\s+and\s+|;\s*", text)
        for part in parts:
            match = re.match(
                rf"^(?:(?:new|the|his|her|their)\s+)?(?P<field>{_UPDATE_FIELD})(?:\s+(?:address|number))?\s*(?:to|=|:|is|->|→|as)?\s*(?P<value>.+)$",
                part.strip(),
                re.I,
            )
            if not match:
                if _EMAIL.fullmatch(part.strip()):
                    args["email"] = part.strip().lower()
                    continue
                if _PHONE.fullmatch(part.strip()):
                    args["phone"] = part.strip()
                    continue
                return {}
            name = _FIELD_WORDS[match.group("field").lower()]
            value = self._field_value(name, match.group("value"))
            if value in (None, ""):
                return {}
            args[name] = value
        return args

    def _create(self, clause: str) -> list[Call] | None:
        patterns = [
            r"^(?:add|create|insert|register|enter|log|record|capture|save|make|open|set up|onboard)"
            r"\s+(?:a\s+|an\s+)?(?:new\s+)?(?:lead|contact|prospect|customer|client|person|deal|opportunity|entry|record|card)"
            r"(?:\s+(?:called|named|for|with name|:|-|—))?\s*:?\s*(?P<rest>.+)$",
            r"^new\s+(?:lead|contact|prospect|customer|client|deal|opportunity)\s*(?:called|named|for|:|-|—|,)?\s*(?P<rest>.+)$",
            r"^(?:add|create|insert|register|enter|log)\s+(?P<rest>.+?)(?:\s+(?:as|to)\s+(?:a\s+)?(?:new\s+)?(?:lead|contact|prospect)(?:\s+(?:to|in)\s+(?:the\s+)?(?:crm|pipeline|board|system))?)?$",
            r"^(?:i\s+)?(?:just\s+)?(?:met|got a (?:new\s+)?(?:lead|contact|referral)|spoke to a new (?:lead|prospect)|have a new (?:lead|prospect|contact))\s*(?:called|named|:|-|,)?\s*(?P<rest>.+)$",
            r"^(?:there's|there is|we have|we've got|got)\s+a\s+new\s+(?:lead|prospect|contact)\s*(?:called|named|:|-|,)?\s*(?P<rest>.+)$",
            r"^(?P<rest>.+?)\s+is\s+a\s+new\s+(?:lead|prospect|contact)(?:\s+(?P<more>.+))?$",
        ]
        for pattern in patterns:
            match = re.match(pattern, clause, re.I)
            if not match:
                continue
            rest = match.group("rest")
            if match.groupdict().get("more"):
                rest = f"{rest} {match.group('more')}"
            if re.match(r"^(?:a\s+)?notes?\b", rest, re.I):
                return None
            if re.search(rf"(?:'s|’s)\s+(?:{_UPDATE_FIELD})\b", rest, re.I):
                return None
            args = self._lead_fields(rest)
            if args:
                return [("create_lead", args)]
        return None

    def _lead_fields(self, text: str) -> dict[str, Any] | None:
        """The fields of a new lead described in free text."""
        rest = " " + _clean(text) + " "
        args: dict[str, Any] = {}
        notes = re.search(
            r"[,;]?\s+(?:notes?|comment|remarks?)\s*(?::|-|—|saying)\s*(?P<n>.+)$", rest, re.I
        )
        if notes:
            args["notes"] = _clean(notes.group("n"))
            rest = rest[: notes.start()] + " "
        email = _EMAIL.search(rest)
        if email:
            args["email"] = email.group(0).lower()
            rest = rest[: email.start()] + " " + rest[email.end() :]
            rest = re.sub(
                r"(?:,\s*)?\b(?:e-?mail(?:\s+address)?|mail)\s*(?::|is)?\s*(?=[,\s]*$|,)",
                " ",
                rest,
                flags=re.I,
            )
        value = re.search(
            r"(?:,\s*|\s+)(?:worth|valued at|value(?:d)?(?: of| is|:)?|deal(?: size| value)?(?: of| is|:)?|budget(?: of| is|:)?|for)\s+"
            r"(?P<v>(?:usd|eur|gbp)?\s*[$€£]?\s*\d[\d,]*(?:\.\d+)?\s*(?:k|m|mm|grand|thousand|million|usd|eur|dollars|euros)?)\b",
            rest,
            re.I,
        ) or re.search(
            r"(?:,\s*|\s+)(?P<v>[$€£]\s*\d[\d,]*(?:\.\d+)?\s*(?:k|m|mm|grand|thousand|million)?)(?:\s+(?:deal|opportunity|potential))?\b",
            rest,
            re.I,
        )
        if value:
            args["value"] = parse_money(value.group("v"))
            rest = rest[: value.start()] + " " + rest[value.end() :]
        phone = _PHONE.search(rest)
        if phone:
            args["phone"] = _clean(phone.group(0))
            rest = rest[: phone.start()] + " " + rest[phone.end() :]
            rest = re.sub(
                r"(?:,\s*)?\b(?:phone(?:\s+number)?|tel|cell|mobile|number|ph)\s*(?::|is)?\s*(?=[,\s]*$|,)",
                " ",
                rest,
                flags=re.I,
            )
        stage = next(
            (
                found
                for found in re.finditer(
                    r"(?:,\s*|\s+)(?:in|into|as|at|to|under|status|stage|straight (?:in)?to|directly (?:in)?to)\s*:?\s+(?:the\s+)?(?P<s>[\w ]+?)(?:\s+(?:stage|column|status))?(?=\s*(?:,|$))",
                    rest,
                    re.I,
                )
                if self.stage(found.group("s"))
            ),
            None,
        )
        if stage:
            args["status"] = self.stage(stage.group("s"))
            rest = rest[: stage.start()] + " " + rest[stage.end() :]
        named_stage = re.search(
            r"(?:,\s*|\s+)(?:(?:in|into|to)\s+(?:the\s+)?(?:stage|column)|stage|status)\s*:?\s+(?P<s>[\w ]+?)(?=\s*(?:,|$))"
            r"|(?:,\s*|\s+)(?:in|into)\s+(?:the\s+)?(?P<s2>[\w ]+?)\s+(?:stage|column)(?=\s*(?:,|$))",
            rest,
            re.I,
        )
        if "status" not in args and named_stage:  # unknown: the store answers with the list
            args["status"] = _clean(named_stage.group("s") or named_stage.group("s2"))
            rest = rest[: named_stage.start()] + " " + rest[named_stage.end() :]
        company = re.search(
            r"(?:\s+(?:from|at|of|with|@|who works (?:at|for)|working (?:at|for)|works (?:at|for)|company:?|,\s*company:?)\s+)(?P<c>[^,()]+?)(?=\s*(?:,|\(|$))",
            rest,
            re.I,
        )
        paren = re.search(r"\((?P<c>[^)]+)\)", rest)
        if company and is_chatter(company.group("c")):
            company = None  # "met at the expo": where, not who
        if company:
            args["company"] = _company(company.group("c"))
            rest = rest[: company.start()] + " " + rest[company.end() :]
        elif paren:
            args["company"] = _clean(paren.group("c"))
            rest = rest[: paren.start()] + " " + rest[paren.end() :]
        pieces = [_clean(p) for p in re.split(r"[,;]", rest) if _clean(p)]
        pieces = [
            p for p in pieces if not re.fullmatch(r"(?:e-?mail|phone|tel|value|and|with)", p, re.I)
        ]
        if not pieces:
            return None
        # Free order ("$45k, Meridian Solar, Aisha Bello"): the name is the first piece that
        # can be a person's name; a piece that marks a company is the company.
        named = [i for i, p in enumerate(pieces) if is_person_name(_strip_title(p))]
        if named and named[0] != 0 and not is_person_name(_strip_title(pieces[0])):
            pieces.insert(0, pieces.pop(named[0]))
        if "company" not in args:
            marked = [i for i, p in enumerate(pieces[1:], 1) if looks_like_company(p)]
            if marked:
                args["company"] = pieces.pop(marked[0])
        name = re.sub(
            r"^(?:called|named|name:?|a|an|mr\.?|ms\.?|mrs\.?|dr\.?)\s+", "", pieces[0], flags=re.I
        )
        name = re.sub(
            r"\s+(?:to|in|on|into)\s+(?:the\s+)?(?:crm|pipeline|board|system|leads)$",
            "",
            name,
            flags=re.I,
        )
        name = _clean(name)
        if not name or len(name) > 200 or _EMAIL.search(name):
            return None
        leftovers = pieces[1:]
        if not is_person_name(name):
            # "Aisha Bello wants a demo": the name is the leading words that can be a name;
            # the rest is unexplained, so the user is asked before anything is written.
            name, more = person_name_prefix(name)
            if not name:
                return None
            leftovers = [more, *leftovers]
        if "company" not in args and leftovers and not re.search(r"\d", leftovers[0]):
            if is_company(leftovers[0]):
                args["company"] = leftovers.pop(0)
        leftovers = [piece for piece in leftovers if not is_chatter(piece)]
        if leftovers or ("company" in args and not is_company(args["company"])):
            args["confirm_first"] = True
        return {"name": name, **args}

    def _status_imperative(self, clause: str) -> list[Call] | None:
        verbs = (
            r"(?:move|put|shift|push|bump|advance|drag|drop|send|take|set|change|update|switch"
            r"|transfer|progress|promote|demote|mark|flag|place|throw|stick|get|bring|file)"
        )
        match = re.match(
            rf"^(?P<verb>{verbs})\s+(?P<ref>.+?)(?:(?:'s|’s|s')?\s+(?:status|stage|column|deal))?"
            rf"\s+(?:to|into|in|as|->|=>|→|over to|back to|onto|on|under)\s+(?P<stage>.+)$",
            clause,
            re.I,
        )
        if match:
            verb = match.group("verb").lower()
            target = match.group("stage")
            reference = match.group("ref")
            loose = verb in {
                "drop",
                "throw",
                "stick",
                "set",
                "change",
                "update",
                "switch",
                "get",
                "bring",
                "take",
                "send",
                "file",
                "place",
            }
            stage = self.stage(target)
            relative = re.match(
                r"^(?:the\s+)?(?:next|previous)(?:\s+(?:stage|step|column))?$", target, re.I
            )
            if (
                stage is None
                and not relative
                and loose
                and not re.search(r"\b(?:status|stage)\b", clause, re.I)
            ):
                return None
            if re.search(rf"(?:'s|’s)\s+(?:{_UPDATE_FIELD})$", reference, re.I):
                return None
            if re.match(r"^(?:a|an|some)\s", reference, re.I):
                return None  # "put a reminder to call John": not a lead
            reference = _ref(reference)
            self._check_bulk(reference)
            if relative:
                stage = "previous" if "previous" in target.lower() else "next"
            status = stage or self._stage_arg(target)
            return [
                ("change_status", {"lead": lead, "status": status}) for lead in _each(reference)
            ]
        match = re.match(
            r"^(?:mark|set|move|put|change|flag|switch)\s+(?:it\s+|that\s+|them\s+)?(?:as|to|into|in)\s+(?P<stage>.+)$",
            clause,
            re.I,
        )
        if match and self.stage(match.group("stage")):
            return [("change_status", {"lead": "", "status": self.stage(match.group("stage"))})]
        match = re.match(r"^(?:mark|flag)\s+(?P<rest>.+)$", clause, re.I)
        if match:  # "mark Lina lost", "flag Tom proposal sent": the stage is the last words
            words = match.group("rest").split()
            for size in (2, 1, 3):
                if len(words) > size and self.stage(" ".join(words[-size:])):
                    reference = _ref(" ".join(words[:-size]))
                    self._check_bulk(reference)
                    stage = self.stage(" ".join(words[-size:]))
                    return [
                        ("change_status", {"lead": lead, "status": stage})
                        for lead in _each(reference)
                    ]
        match = re.match(
            r"^(?:move|advance|push|bump|progress|promote)\s+(?P<ref>.+?)\s+(?P<dir>forward|ahead|along|on|up|back|backwards|down)(?:\s+(?:a|one)\s+(?:stage|step))?$",
            clause,
            re.I,
        )
        if match:
            direction = (
                "previous"
                if match.group("dir").lower() in {"back", "backwards", "down"}
                else "next"
            )
            reference = _ref(match.group("ref"))
            self._check_bulk(reference)
            return [("change_status", {"lead": reference, "status": direction})]
        return None

    def _query(self, clause: str) -> list[Call] | None:
        text = clause.strip()
        ask = (
            r"(?:what(?:'s|’s| is| was| are)?|whats|tell me|give me|show me|show|get me|get|find|"
            r"look up|lookup|do we have|do you have|do i have|i need|need|send me|check|pull up|fetch)"
        )
        # One field of one lead.
        for pattern in (
            rf"^(?:{ask}\s+)?(?:the\s+|a\s+|an\s+|any\s+)?(?P<field>{_FIELD})(?:\s+address)?\s+(?:of|for|on|at)\s+(?P<ref>.+)$",
            rf"^(?:{ask}\s+)?(?P<owner>his|her|their|its)\s+(?P<field>{_FIELD})(?:\s+address)?$",
            rf"^(?:{ask}\s+)?(?P<ref>.+?)(?:'s|’s|s')\s+(?P<field>{_FIELD})(?:\s+address)?(?:\s+(?:again|now|currently))?$",
            rf"^(?:what|which)\s+(?P<field>{_FIELD})\s+(?:is|does|do)\s+(?P<ref>.+?)\s+(?:in|at|have|got|on|using|use|with|from|working for|working at|at now)$",
            rf"^(?:what|which|any)\s+(?P<field>{_FIELD})(?:\s+address)?\s+(?:do|did|have)\s+(?:we|you|i)\s+(?:have|got|get|saved|stored|on file)?\s*(?:on|for|about|from)\s+(?P<ref>.+)$",
            r"^(?:how much|what)\s+(?:is|'s)\s+(?P<ref>.+?)(?:'s)?\s+(?:deal\s+)?(?:worth|valued at)$",
            r"^(?:how do i|how can i|how to)\s+(?:reach|contact|call|email|get (?:hold of|in touch with))\s+(?P<ref>.+)$",
            r"^(?:is|are|do we have|have we got|do we still have|is there)\s+(?P<ref>.+?)\s+(?:in here|in there|in the (?:crm|system|pipeline|list|database)|on the board|on file|still around)$",
            rf"^(?P<ref>(?!(?:{'|'.join(sorted(_QUERY_SKIP))})\b)[\w .'’-]+?)\s+(?P<field>{_FIELD})(?:\s+address)?$",
        ):
            match = re.match(pattern, text, re.I)
            if match:
                groups = match.groupdict()
                field_name = _FIELD_WORDS.get((groups.get("field") or "").lower(), "")
                if not groups.get("field"):
                    field_name = (
                        "value" if "worth" in text.lower() or "valued" in text.lower() else ""
                    )
                reference = self._owner_ref(match)
                if not reference or _ALL.match(reference):
                    return None
                if self.stage(reference) or re.match(
                    rf"^(?:all|the|my|our)?\s*{_LIST_NOUN}$", reference, re.I
                ):
                    return None
                args: dict[str, Any] = {"lead": reference}
                if field_name:
                    args["field"] = field_name
                return [("find_leads", args)]
        # Where a lead is in the pipeline.
        match = re.match(
            r"^(?:what|which)\s+(?:stage|status|column|step)\s+(?:is|'s)\s+(?P<ref>.+?)(?:\s+(?:in|at|on))?(?:\s+(?:now|currently|right now))?$"
            r"|^where(?:'s| is| are)\s+(?P<ref2>.+?)(?:\s+(?:at|in the pipeline|on the board|in the funnel|now|right now|currently))*$"
            r"|^how(?:'s| is)\s+(?P<ref3>.+?)\s+(?:doing|going|coming along|progressing)$"
            r"|^(?:is|has)\s+(?P<ref4>.+?)\s+(?:moved|signed|won|lost|closed)(?:\s+yet)?$",
            text,
            re.I,
        )
        if match:
            reference = _ref(next(g for g in match.groups() if g))
            if reference and not self.stage(reference):
                return [("find_leads", {"lead": reference, "field": "status"})]
        # Details of one lead.
        match = re.match(
            r"^(?:tell me (?:more )?about|(?:show|give)(?: me)? (?:the )?(?:details|info|information|everything|all info) (?:of|for|on|about)|details (?:of|for|on|about)"
            r"|info (?:on|for|about)|information (?:on|about)|what do (?:we|you|i) (?:know|have) (?:about|on)|who(?:'s| is)|pull up|open|describe|summari[sz]e)"
            r"\s+(?P<ref>.+)$",
            text,
            re.I,
        )
        if match:
            reference = _ref(match.group("ref"))
            if reference and not self._listing_words(reference):
                return [("find_leads", {"lead": reference})]
        return self._listing(text)

    def _listing_words(self, text: str) -> bool:
        return bool(
            re.search(rf"\b{_LIST_NOUN}\b", text, re.I)
            or re.match(r"^(?:in|at|from|still|currently)\b", text, re.I)
            or self.stage(text)
        )

    def _listing(self, text: str) -> list[Call] | None:
        lowered = text.lower()
        having = re.match(
            r"^(?:who|who's|which (?:leads?|deals?|ones?|people|contacts?)|anyone|anybody|any leads?)"
            r"\s+(?:has|have|had|is|are|got|did we get|already)?\s*(?:already\s+)?(?:a\s+|an\s+|the\s+)?"
            r"(?P<s>[\w ]+?)(?:\s+(?:yet|already|so far|now))?$",
            lowered,
        )
        if having and self.stage(having.group("s")):
            return [("find_leads", {"status": self.stage(having.group("s"))})]
        asks = (
            re.match(
                r"^(?:who|which|what|how many|show|list|display|give|get|find|search|look|see|any|anything|do we have|do i have|are there|is there|is anyone|are any|anyone|anybody|tell me|pull|count|can i see|i want to see)\b",
                lowered,
            )
            or lowered.endswith("?")
            or re.match(rf"^(?:all\s+)?(?:the\s+)?{_LIST_NOUN}\b", lowered)
        )
        stage_match = re.search(
            rf"\b(?:in|at|under|on|within|inside|sitting in|stuck in|still in)\s+(?:the\s+)?(?P<s>[\w ]+?){_TAIL}$",
            text,
            re.I,
        )
        args: dict[str, Any] = {}
        if stage_match and self.stage(stage_match.group("s")):
            args["status"] = self.stage(stage_match.group("s"))
            rest = text[: stage_match.start()]
        elif stage_match and re.search(
            r"\b(?:stage|column)\b", text[stage_match.start() :], re.I
        ):  # "everyone in the On hold stage": the query node answers with the valid stages
            args["status"] = _clean(stage_match.group("s"))
            rest = text[: stage_match.start()]
        else:
            adjective = re.search(
                rf"^(?:show|list|display|give me|get|find|see|count|how many|which|what|any)?\s*(?:me\s+)?(?:all\s+)?(?:the\s+|my\s+|our\s+)?(?P<s>[\w ]+?)\s+{_LIST_NOUN}(?:\s+(?:do we have|are there|have we got|right now|now))?$",
                text,
                re.I,
            )
            if adjective and self.stage(adjective.group("s")):
                args["status"] = self.stage(adjective.group("s"))
                rest = ""
            else:
                rest = text
        company = re.search(
            r"\b(?:from|at|with|for|working at|who work at|works at|of)\s+(?:the\s+)?(?P<c>[^?]+?)(?:\s+(?:company|account))?"
            r"(?:\s+(?:do we have|are there|have we got|in (?:the|our|my) (?:pipeline|crm|system|list)|on (?:the|our|my) board|in here))?$",
            rest,
            re.I,
        )
        if company and asks and not self._listing_words(company.group("c")):
            candidate = _clean(company.group("c"))
            if candidate and not re.match(rf"^{_LIST_NOUN}$", candidate, re.I):
                args["company"] = candidate
        if args and (asks or re.search(rf"\b{_LIST_NOUN}\b", lowered)):
            return [("find_leads", args)]
        if asks and re.search(
            rf"^(?:(?:show|list|display|give|get|see|count)(?: me)?(?: all| every)?(?: of)?(?: the| my| our)?\s+{_LIST_NOUN}|how many {_LIST_NOUN}|what {_LIST_NOUN}|which {_LIST_NOUN}"
            rf"|(?:show|display|give)(?: me)? (?:the )?(?:pipeline|board|kanban|funnel|overview|everything|summary)|what(?:'s| is) in (?:the|my|our) pipeline"
            rf"|what(?:'s| is) on (?:the|my|our) board|pipeline overview|(?:all|list) (?:the )?{_LIST_NOUN})",
            lowered,
        ):
            return [("find_leads", {})]
        search = re.match(
            r"^(?:find|search(?: for)?|look for|lookup|look up|any leads? (?:called|named|matching)|do we have (?:a |any )?(?:lead |leads )?(?:called|named|for))\s+(?P<t>.+)$",
            text,
            re.I,
        )
        if search:
            target = _clean(search.group("t"))
            if target and not _ALL.match(target):
                return [("find_leads", {"text": target})]
        return None

    def _update_statement(self, clause: str) -> list[Call] | None:
        patterns = [
            (
                rf"^(?P<ref>.+?)(?:'s|’s|s')\s+(?:new\s+|correct\s+|updated\s+|actual\s+|real\s+)?(?P<field>{_UPDATE_FIELD})(?:\s+(?:address|number))?\s*(?:is now|is actually|should be|has changed to|changed to|is|=|:|->|→|now)\s*(?P<value>.+)$",
                None,
            ),
            (
                rf"^(?P<owner>his|her|their|its|the)\s+(?:new\s+|correct\s+|updated\s+)?(?P<field>{_UPDATE_FIELD})(?:\s+(?:address|number))?\s*(?:is now|is actually|should be|has changed to|changed to|is|=|:|->|→)\s*(?P<value>.+)$",
                None,
            ),
            (
                rf"^(?:the\s+)?(?:new\s+)?(?P<field>{_UPDATE_FIELD})(?:\s+(?:address|number))?\s+(?:of|for)\s+(?P<ref>.+?)\s+(?:is now|should be|is|=|:)\s+(?P<value>.+)$",
                None,
            ),
            (
                rf"^(?P<ref>.+?)\s+(?:has|got|now has|gave me|sent me|shared)\s+(?:a\s+)?(?:new\s+|different\s+)?(?P<field>{_UPDATE_FIELD})(?:\s+(?:address|number))?\s*(?::|-|,|of|which is)?\s*(?P<value>.+)$",
                None,
            ),
            (
                rf"^(?:(?:his|her|their|its|the)\s+)?(?:new\s+)?(?P<field>{_UPDATE_FIELD})(?:\s+(?:address|number))?\s*(?:is now|should be|is|'s|’s|=|:|->|→|to)\s*(?P<value>.+)$",
                None,
            ),
            (
                r"^(?P<ref>.+?)\s+(?:now\s+)?(?:works|is working)\s+(?:at|for)\s+(?P<value>.+)$",
                "company",
            ),
            (
                r"^(?P<ref>.+?)\s+(?:moved|switched|changed jobs?|went|jumped ship)\s+(?:over\s+)?to\s+(?P<value>.+)$",
                "company",
            ),
            (r"^(?P<ref>.+?)\s+(?:joined|is now (?:at|with))\s+(?P<value>.+)$", "company"),
            (
                r"^(?:the\s+)?(?P<ref>.+?)(?:'s|’s)?\s+(?:deal|opportunity|contract)?\s*(?:is\s+)?(?:now\s+)?(?:worth|valued at|sized at)\s+(?P<value>.+)$",
                "value",
            ),
            (
                r"^(?:the\s+)?deal\s+(?:with|for)\s+(?P<ref>.+?)\s+is\s+(?:now\s+)?(?:worth\s+)?(?P<value>[$€£]?\s*\d.+)$",
                "value",
            ),
            (
                r"^(?P<ref>.+?)(?:'s|’s)\s+(?:deal|budget)\s+is\s+(?:now\s+)?(?P<value>[$€£]?\s*\d.+)$",
                "value",
            ),
            (
                r"^(?P<ref>.+?)\s+(?:is (?:now )?called|now called|now goes by|goes by|is renamed to"
                r"|renamed to|changed (?:his|her|their) name to)\s+(?P<value>.+)$",
                "name",
            ),
            (
                rf"^(?P<ref>[^,]+?)\s*(?:,|:|-|—)\s*(?:new\s+)?(?P<field>{_UPDATE_FIELD})(?:\s+(?:address|number))?\s*(?::|is|=)?\s*(?P<value>.+)$",
                None,
            ),
            (  # "update Sarah phone 555-1234", "sarah email s@x.io": a name, then the detail
                r"^(?:(?:update|change|set|fix|edit)\s+)?(?P<ref>[^,]+?)\s+(?P<field>e-?mail|phone|mobile|cell)"
                r"(?:\s+(?:address|number))?\s*(?:to|is|=|:)?\s+(?P<value>[+(\w].+)$",
                None,
            ),
            (  # "set Sarah to 8k": a money amount can only be the deal value
                r"^(?:set|change|update|bump|raise|lower|increase|reduce|adjust|put|make)\s+(?P<ref>.+?)\s+"
                r"(?:to|at)\s+(?P<value>(?:usd|eur|gbp)?\s*[$€£]?\s*\d[\d,]*(?:\.\d+)?\s*(?:k|m|mm|grand|thousand|million|usd|eur|gbp|dollars|euros)?)$",
                "value",
            ),
            (  # "phone +233 20 555 0101" after "email is …": a contact detail, no verb
                r"^(?:(?:his|her|their|its|the)\s+)?(?:new\s+)?(?P<field>e-?mail|phone|mobile|cell)"
                r"(?:\s+(?:address|number))?\s+(?P<value>[+(\w].+)$",
                None,
            ),
        ]
        for pattern, fixed in patterns:
            match = re.match(pattern, clause, re.I)
            if not match:
                continue
            groups = match.groupdict()
            name = fixed or _FIELD_WORDS[groups["field"].lower()]
            raw = groups["value"]
            if name == "company" and (
                self.stage(raw) or re.match(r"^(?:the\s+)?(?:next|previous)\b", raw, re.I)
            ):
                continue
            value = self._field_value(name, raw)
            if value in (None, "") or (name == "email" and not _EMAIL.fullmatch(str(value))):
                continue
            if name == "phone" and not _PHONE.fullmatch(str(value)):
                continue
            reference = None
            if groups.get("owner") or groups.get("ref"):
                reference = self._owner_ref(match)
                if not reference or re.match(
                    r"^(?:i|we|you|it|what|who|where|how)$", reference, re.I
                ):
                    continue
                self._check_bulk(reference)
            args: dict[str, Any] = {name: value}
            if reference:
                args = {"lead": reference, **args}
            return [("update_lead", args)]
        return None

    def _slang(self, clause: str) -> list[Call] | None:
        """Sales-floor phrasings of a stage move (`lexicon/stage_slang.yaml`)."""
        text = _clean(clause)
        for pattern, stage_name in stage_slang():
            match = pattern.match(text)
            if not match:
                continue
            stage, reference = self.pipeline.find(stage_name), _ref(match.group("ref"))
            if stage is None or not reference or reference.lower() in _NOT_NAMES:
                continue
            if re.search(r"[.!?;:]", reference) or any(
                len(p.split()) > 4 for p in _each(reference)
            ):
                continue  # chatter before the lead: a shorter clause will match
            self._check_bulk(reference)
            return [("change_status", {"lead": lead, "status": stage}) for lead in _each(reference)]
        return None

    def _status_statement(self, clause: str) -> list[Call] | None:
        text = re.sub(
            r"^(he|she|it|they|that one)(?:'s|’s|'re|’re)\s", r"\1 is ", clause.strip(), flags=re.I
        )
        stage_phrases: list[tuple[str, str]] = [
            # Won
            (
                r"^(?:we\s+)?(?:closed the deal with|closed a deal with|sealed the deal with|got the deal with|got the contract with|signed (?:the|a) (?:contract|deal|papers|agreement) with|signed with|won|closed|signed|landed|bagged)\s+(?P<ref>.+?)(?:'s)?(?:\s+(?:deal|account|contract))?$",
                "Won",
            ),
            (
                r"^(?P<ref>.+?)\s+(?:signed|signed up|signed the contract|signed on the dotted line|closed|bought|purchased|said yes|accepted(?: the (?:offer|proposal|quote))?|is a customer now|is now a customer|became a customer|converted|is on board|committed)(?:\s+(?:today|yesterday|this morning|at last|finally))?$",
                "Won",
            ),
            (
                r"^(?:deal|the deal)\s+(?:with|for)\s+(?P<ref>.+?)\s+(?:is\s+)?(?:closed|won|signed|done)$",
                "Won",
            ),
            # Lost
            (
                r"^(?:we\s+)?(?:lost|dropped)\s+(?P<ref>.+?)(?:'s)?(?:\s+(?:deal|account))?(?:\s+to a competitor)?$",
                "Lost",
            ),
            (
                r"^(?P<ref>.+?)\s+(?:said no|declined|passed|rejected(?: us| the (?:offer|proposal|quote))?|is not interested|isn't interested|is no longer interested|not interested|went with (?:a |another )?(?:competitor|vendor|someone else)|ghosted(?: us| me)?|backed out|pulled out|walked away|churned|went dark|is dead|chose a competitor)(?:\s+(?:today|yesterday))?$",
                "Lost",
            ),
            (
                r"^(?:deal|the deal)\s+(?:with|for)\s+(?P<ref>.+?)\s+(?:is\s+)?(?:dead|lost|off)$",
                "Lost",
            ),
            # Meeting booked
            (
                r"^(?:i\s+|we\s+)?(?:booked|scheduled|set up|arranged|have|got|set|planned|lined up)\s+(?:a\s+|the\s+)?(?:meeting|demo|call|appointment|intro call|discovery call|sales call)\s+(?:with|for)\s+(?P<ref>.+?)(?:\s+(?:for|on|next|tomorrow|today|this)\b.*)?$",
                "Meeting booked",
            ),
            (
                r"^(?:meeting|demo|call)\s+(?:with|for)\s+(?P<ref>.+?)\s+(?:is\s+)?(?:booked|scheduled|set|confirmed|arranged)(?:\s+(?:for|on)\b.*)?$",
                "Meeting booked",
            ),
            (
                r"^(?P<ref>.+?)\s+(?:booked|scheduled|agreed to|accepted)\s+(?:a\s+|the\s+)?(?:meeting|demo|call)(?:\s+(?:with us|for|on|next)\b.*)?$",
                "Meeting booked",
            ),
            # Proposal sent
            (
                r"^(?:i\s+|we\s+)?(?:sent|emailed|mailed|shared|delivered|submitted)\s+(?:a\s+|the\s+|our\s+)?(?:proposal|quote|offer|pricing|contract)\s+(?:to|for)\s+(?P<ref>.+)$",
                "Proposal sent",
            ),
            (
                r"^(?:i\s+|we\s+)?(?:sent|emailed|gave)\s+(?P<ref>.+?)\s+(?:a\s+|the\s+|our\s+)?(?:proposal|quote|offer|pricing)$",
                "Proposal sent",
            ),
            (
                r"^(?:proposal|quote|offer)\s+(?:sent|went out|is out)\s+(?:to|for)\s+(?P<ref>.+)$",
                "Proposal sent",
            ),
            (
                r"^(?P<ref>.+?)\s+(?:got|received|has|has got|now has|has received)\s+(?:a\s+|the\s+|our\s+)?(?:proposal|quote|offer)(?:\s+(?:today|yesterday|this morning|already|now))?$",
                "Proposal sent",
            ),
            (
                r"^(?P<ref>.+?)\s+(?:already\s+)?(?:has|have|got|now has)\s+(?:a\s+|the\s+)?(?:meeting|demo|call)\s+(?:booked|scheduled|set up|planned|lined up|in the calendar)(?:\s+(?:already|now))?$",
                "Meeting booked",
            ),
            # Contacted
            (
                r"^(?:i\s+|we\s+|i've\s+|we've\s+|i have\s+|we have\s+)?(?:just\s+|already\s+|finally\s+)?(?:called|rang|phoned|emailed|contacted|reached out to|spoke to|spoke with|talked to|talked with|pinged|messaged|texted|got in touch with|got hold of|connected with|followed up with|left a voicemail for|dialed)\s+(?P<ref>.+?)(?:\s+(?:today|yesterday|this morning|earlier|already|just now|last week))?$",
                "Contacted",
            ),
            (
                r"^(?P<ref>.+?)\s+(?:has been|was|got)\s+(?:contacted|called|reached|emailed)(?:\s+(?:today|yesterday|already))?$",
                "Contacted",
            ),
        ]
        for pattern, stage_name in stage_phrases:
            match = re.match(pattern, text, re.I)
            if match:
                stage = self.pipeline.find(stage_name)
                reference = _ref(match.group("ref"))
                if stage is None or not reference:
                    continue
                if re.match(r"^(?:i|we|you|what|who|it|there)$", reference, re.I):
                    continue
                self._check_bulk(reference)
                reference = re.sub(r"\s+(?:both|all|too|as well)$", "", reference, flags=re.I)
                return [
                    ("change_status", {"lead": lead, "status": stage}) for lead in _each(reference)
                ]
        # "John is now in Won", "mark-less" statements naming a stage.
        match = re.match(
            r"^(?P<ref>.+?)\s+(?:is|are|'s|has been|was|should be|belongs|goes|needs to be|needs to go|can go|moved|moves|went|got|is moving|now)"
            r"(?:\s+(?:now|already|finally|officially))?\s+(?:(?:moved\s+)?(?:in|into|to|at|under|in the|on)\s+)?(?:the\s+)?(?P<stage>.+?)(?:\s+now)?$",
            text,
            re.I,
        )
        if match:
            stage = self.stage(match.group("stage"))
            reference = _ref(match.group("ref"))
            if (
                stage
                and reference
                and not re.match(r"^(?:who|what|which|how many|i|we|it|there)\b", reference, re.I)
            ):
                self._check_bulk(reference)
                return [("change_status", {"lead": reference, "status": stage})]
        match = re.match(
            r"^(?P<ref>.+?)\s*(?:->|=>|→|:|-|—)\s*(?P<stage>.+)$|^(?P<ref2>.+?)\s+to\s+(?P<stage2>.+)$",
            text,
            re.I,
        )
        if match:
            reference = match.group("ref") or match.group("ref2")
            stage = self.stage(match.group("stage") or match.group("stage2"))
            if stage and reference:
                reference = _ref(reference)
                self._check_bulk(reference)
                return [("change_status", {"lead": reference, "status": stage})]
        return None

    def _bare_details(self, clause: str) -> list[Call] | None:
        text = _clean(clause)
        if _EMAIL.fullmatch(text):
            return [("find_leads", {"lead": text.lower()})]
        stage = self.stage(text)
        if stage:
            return [("find_leads", {"status": stage})]
        return None


class _Bulk(Exception):
    """The message asks to change every lead at once."""


class Refusal(Exception):
    """The message asks for a write with a value no recognizer accepts (a range of
    amounts…): the reply says why and nothing is written."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


# The verb a clause without one borrows from the clause before ("move Ann to Won and Bob to Lost").
_CARRY_VERBS = {
    "move": "move",
    "put": "put",
    "mark": "mark",
    "shift": "move",
    "push": "move",
    "delete": "delete",
    "remove": "remove",
    "drop": "delete",
    "add": "add",
    "create": "create",
    "change": "change",
    "update": "update",
    "set": "set",
}


_LEAD_TOOLS = {"update_lead", "change_status", "delete_lead"}
# First words that make "<words> email" a request rather than "<name> email?"
_QUERY_SKIP = {
    "move",
    "put",
    "change",
    "update",
    "set",
    "delete",
    "remove",
    "clear",
    "add",
    "edit",
    "fix",
    "mark",
    "what",
    "whats",
    "which",
    "who",
    "show",
    "list",
    "find",
    "the",
    "his",
    "her",
    "their",
    "my",
    "our",
    "new",
    "email",
    "call",
    "send",
    "get",
    "drop",
}
# A clause with a verb of its own ("he is a duplicate") never borrows the previous clause's.
_STATEMENT = re.compile(r"\b(?:is|are|was|were|has|have|had|he|she|they|it|i|we)\b", re.I)
_ACTION_VERBS = {
    "move",
    "put",
    "shift",
    "push",
    "bump",
    "advance",
    "mark",
    "set",
    "change",
    "update",
    "delete",
    "remove",
    "drop",
    "add",
    "create",
    "rename",
    "edit",
    "undo",
    "revert",
}
_PRONOUNS = {"him", "her", "them", "it", "he", "she", "they", "that lead", "this lead", "that one"}
_NOT_NAMES = {
    "i",
    "we",
    "you",
    "he",
    "she",
    "it",
    "they",
    "the",
    "a",
    "an",
    "oops",
    "wait",
    "great",
    "ok",
    "okay",
    "sorry",
    "actually",
    "so",
    "and",
    "but",
    "also",
    "hmm",
    "well",
    "no",
    "yes",
    "please",
    "thanks",
    "just",
    "then",
    "now",
    "hey",
    "hi",
    "his",
    "her",
    "their",
    "its",
    "my",
    "our",
    "this",
    "that",
    "what",
    "who",
    "where",
    "when",
    "how",
    "why",
    "update",
    "move",
    "change",
    "delete",
    "remove",
    "add",
    "lead",
    "deal",
    "meeting",
    "today",
}


def _completes_create(found: list[Call], created: dict[str, Any]) -> bool:
    """After "I met Lucy Gray from Finch": "add her as a lead" repeats the request, and a
    bare "lucy@finch.ai" is her email. Fold such clauses into the new lead."""
    if len(found) != 1:
        return False
    name, args = found[0]
    if name == "create_lead" and _is_pronoun(args["name"]) and len(args) == 1:
        return True
    if name == "find_leads" and set(args) == {"lead"} and _EMAIL.fullmatch(args["lead"]):
        created.setdefault("email", args["lead"])
        return True
    return False


def _each(reference: str) -> list[str]:
    """ "Ann and Bob", "Ann, Bob & Carl" → each lead; a single reference stays whole."""
    parts = [p.strip() for p in re.split(r",\s*(?:and\s+)?|\s+and\s+|\s*&\s*", reference)]
    parts = [p for p in parts if p]
    if len(parts) < 2 or any(len(p.split()) > 4 or _STATEMENT.search(p) for p in parts):
        return [reference]  # "John Smith, he is a duplicate" is one lead and a remark
    return parts


def _is_pronoun(reference: str) -> bool:
    return reference.strip().lower() in _PRONOUNS


def _mentioned_lead(clause: str) -> str | None:
    """The lead a context clause is about: "Laura's number is dead" → Laura."""
    the_lead = re.search(r"\bthe\s+(?P<n>[\w&.' -]+?)\s+(?:lead|deal|account)\b", clause, re.I)
    if the_lead:
        return the_lead.group("n")
    for match in re.finditer(r"\b[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,2}", clause):
        words = [w for w in re.split(r"\s+", match.group(0)) if w]
        while words and words[0].lower().strip("'’") in _NOT_NAMES:
            words.pop(0)
        name = re.sub(r"(?:'s|’s)$", "", " ".join(words))
        if name and name.lower() not in _NOT_NAMES:
            return name
    return None


def _tidy(calls: list[Call]) -> list[Call]:
    """Merge field updates of one lead, and drop repeats ("I called Ann, move her to
    Contacted" asks for one move, not two)."""
    calls = _merge_updates(calls)
    tidy: list[Call] = []
    for name, args in calls:
        if tidy and tidy[-1] == (name, args):
            continue
        if (
            tidy
            and name == "change_status"
            and tidy[-1][0] == "change_status"
            and tidy[-1][1]["lead"].lower() == args["lead"].lower()
        ):
            tidy[-1] = (name, args)  # the later, explicit stage wins
            continue
        tidy.append((name, args))
    return tidy


def _merge_updates(calls: list[Call]) -> list[Call]:
    """Consecutive update_lead calls for the same lead become one call."""
    merged: list[Call] = []
    for name, args in calls:
        if (
            merged
            and name == "update_lead"
            and merged[-1][0] == "update_lead"
            and merged[-1][1].get("lead", "").lower() == args.get("lead", "").lower()
            and not set(merged[-1][1]) & (set(args) - {"lead"})
        ):
            merged[-1][1].update(args)
            continue
        merged.append((name, args))
    return merged
