"""The offline chat model: the command grammar packaged as a LangChain chat model.

It answers the latest user message with the same tool calls GPT-4.1 would make (or with a
short text reply when the message asks for nothing), so the graph is identical with either
model. Deterministic, no key, no network: the default without `OPENAI_API_KEY`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import PrivateAttr
from rapidfuzz import fuzz

from agent_service.graph.grounding import grounded_leads
from agent_service.graph.models.commands import (
    _EMAIL,
    _PHONE,
    NOT_UNDERSTOOD,
    UNDO_THEN_WHY,
    CommandParser,
    Parsed,
)
from agent_service.graph.models.grammar.anchored import Anchored, stages_named
from agent_service.graph.models.grammar.create_card import reader_for, wins_over
from agent_service.graph.models.grammar.intent_create import title_case
from agent_service.graph.models.grammar.normalize import _EMOJI, _clean, in_english
from agent_service.graph.models.grammar.recognizers import (
    _DOLLARS,
    _MINUS,
    MONEY,
    RANGE,
    WHERE_WRITTEN,
    as_typed,
    is_person_name,
    money_problem,
    money_values,
    parse_money,
    spell_numbers,
)
from agent_service.graph.models.grammar.validate import ASK_NAME
from agent_service.graph.models.grammar.words import stage_words
from agent_service.graph.nodes.guards import NEGATIVE_VALUE
from agent_service.graph.nodes.lead_matcher import clean_reference, is_pronoun
from agent_service.graph.tools import TOOLS_BY_NAME
from agent_service.leads.matching import normalize
from agent_service.settings import DEFAULT_STAGES

VALUE_REFUSED = "I couldn't set the deal value"  # the reply to a refused range (slots.py)


class OfflineChatModel(BaseChatModel):
    """A deterministic command parser that speaks OpenAI-style tool calls."""

    stages: tuple[str, ...] = DEFAULT_STAGES
    _parser: CommandParser = PrivateAttr()
    _anchored: Anchored = PrivateAttr()

    def model_post_init(self, context: Any, /) -> None:
        self._parser = CommandParser(self.stages)
        self._anchored = Anchored(
            self._parser.stage, self._parser.pipeline.find, self._parser.pipeline.stages
        )

    @property
    def _llm_type(self) -> str:
        return "crm-offline"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"stages": self.stages}

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> OfflineChatModel:
        """The parser only emits the CRM tools; binding checks they are the ones offered."""
        names = {getattr(tool, "__name__", getattr(tool, "name", None)) for tool in tools}
        missing = set(TOOLS_BY_NAME) - names
        if missing:
            raise ValueError(f"the offline model needs the CRM tools; missing: {sorted(missing)}")
        return self

    def _elided(
        self, messages: Sequence[BaseMessage], text: str
    ) -> list[tuple[str, dict[str, Any]]]:
        """ "and rohan to contacted also", "and mei lin's is twenty grand": the previous turn's
        request again, for another lead, its verb or field left out."""
        key = _EMOJI.sub("", text).strip().rstrip(".!?").strip()
        match = (  # "neha's is roughly 25 grand", "same for Dimitri, he went with …"
            _AND_ALSO.match(key) or _THEIRS_IS.match(key) or _SAME_FOR.match(key)
        )
        previous = [(n, a) for n, a, _ in _previous_calls(messages) if n != "find_leads"]
        if not match or len(previous) != 1 or previous[0][0] not in _WRITE_TOOLS:
            return []
        rest = match.group("rest") or match.group("bare")
        tool, args = previous[0]
        if tool == "change_status":
            again = f"move {rest}"
            if not self._parser.parse(again).calls and args.get("status"):
                again = f"move {rest} to {args['status']}"  # "park too": the same stage
        else:
            fields = [k for k in args if k not in {"lead", "confirm_first"}]
            if len(fields) != 1:
                return []
            word = {"value": "deal value"}.get(fields[0], fields[0])
            # "siobhans is twenty grand": a possessive dictated without its apostrophe
            rest = re.sub(r"^([\w.-]+(?:\s+[\w.-]+)?\w)s\s+(?=is\b)", r"\1's ", rest, count=1)
            # only the lead's own possessive, first thing ("mei lin's is twenty grand"); a
            # "she's" further on is a sentence of its own ("greta lund got married, she's …")
            again = re.sub(
                r"^([^\s,]+(?:\s+[^\s,]+)?)(?:'s|’s)\s+(?:is|=|:|at)?\s*",
                rf"\1's {word} is ",
                rest,
                count=1,
            )
            if again == rest:
                again = f"set {rest}" if fields[0] == "value" else rest
        calls = self._parser.parse(again).calls
        if (
            len(calls) == 1
            and calls[0][0] == tool
            and set(calls[0][1]) >= set(args) - {"confirm_first"}
        ):
            return calls
        return []

    def _follow_up(
        self, messages: Sequence[BaseMessage], text: str, grounded: list[dict[str, Any]]
    ) -> list[tuple[str, dict[str, Any]]]:
        """Messages that only make sense after the previous turn: "sorry, I meant Stephanie",
        "I meant Lost, not Won", "should be noor@x.ae", "and the one before it too"."""
        key = _NOT_FIRST.sub("", _EMOJI.sub("", text).strip().rstrip(".!?").strip())
        previous = _previous_calls(messages)
        if not previous:
            return []
        if _AGAIN.match(key) and previous[-1][0] == "undo":
            return [("undo", {})]
        bare = _BARE_VALUE.match(key)
        correction = _CORRECTION.match(key) or _NOT_THAT.match(key) or _RIGHT_ONE.match(key) or bare
        if not correction:
            return []
        meant = re.split(r"[.!?;]\s", correction.group("ref").strip())[0]  # then chatter
        meant = _TRAILING.sub("", meant).strip().strip("'\"")
        meant = re.sub(r"\s+(?:only|just|instead|then|for now|pls|please)$", "", meant, flags=re.I)
        # "ok fine make it 5000 then": the value after the verb
        meant = re.sub(
            r"^(?:just\s+)?(?:make it|make that|set it to|change it to|should be)\s+",
            "",
            meant,
            flags=re.I,
        )
        stage = self._parser.stage(meant)
        value = _contact_value(meant)
        if value is None and parse_money(meant) is not None and MONEY.fullmatch(meant):
            value = ("value", parse_money(meant))
        value = value or _leading_amount(meant)  # "fifty three k i swapped the numbers"
        signed = re.match(r"^(?:[-−]|minus\s+|negative\s+)(?P<a>.+)$", meant.strip(), re.I)
        if not value and signed and MONEY.fullmatch(signed["a"].strip()):
            value = ("value", money_values(meant)[0])  # "make it -5000": refused, never 5000
        if correction is bare and not stage and not value:
            return []  # "ok fine, Tom then" names no value: not read as a correction
        redirected: list[tuple[str, dict[str, Any]]] = []
        undo_first = False
        for name, args, wrote in previous:
            if stage and "status" in args:
                args["status"] = stage
            elif value and value[0] in args:
                args[value[0]] = value[1]
            elif not stage and not value and "lead" in args and not _FIXES_A_NAME.search(text):
                if grounded and not _names_one(meant, grounded):
                    continue  # "proposal sent only": no lead of the store, so no redirect
                if not grounded and not is_person_name(meant):
                    continue  # "fifty three k i swapped the numbers" names nobody
                args["lead"] = meant
                # the wrong lead was already changed: put it back before changing the right one
                undo_first = undo_first or (wrote and name in {"change_status", "update_lead"})
            else:
                continue
            redirected.append((name, args))
        return [("undo", {}), *redirected] if undo_first and redirected else redirected

    def _other_value(
        self, messages: Sequence[BaseMessage], text: str
    ) -> list[tuple[str, dict[str, Any]]]:
        """ "ugh typo, it's ivan@polaris.ru", "wait no, just contacted for now": a correction
        opener and one typed value of a field the previous turn wrote → that write again with
        the right value (the same lead)."""
        if not _OPENS_CORRECTION.match(text) or UNDO_THEN_WHY.match(_clean(text)):
            return []  # "oops revert that, he never picked up": an undo, and why
        previous = [
            c for c in _previous_calls(messages) if c[0] in {"change_status", "update_lead"}
        ]
        if not previous:
            return []
        # "its 25k not 2.5", "proposal sent not won. he hasnt signed yet": the wrong one
        text = re.sub(
            r"\b(?:not|hasn'?t|has not|haven'?t|have not|didn'?t|did not|isn'?t)\s+(?:yet\s+)?"
            r"[^\s,.;]+(?:\s+yet)?",
            " ",
            text,
            flags=re.I,
        )
        bare = _PHONE.sub(" ", _EMAIL.sub(" ", text))
        found: dict[str, set[Any]] = {
            "email": {e.lower() for e in _EMAIL.findall(text)},
            "phone": {p.strip() for p in _PHONE.findall(_EMAIL.sub(" ", text))},
            "status": {s for s in stages_named(bare) if self._parser.pipeline.find(s)},
            # "1.5 mil obviously lol, its all 9 faculties": a count is no second amount
            "value": {v for v in money_values(bare) if v and abs(v) >= 100},
        }
        fields = {name: values for name, values in found.items() if values}
        if len(fields) != 1:
            return []
        ((field, values),) = fields.items()
        if len(values) != 1:
            return []
        value = values.pop()
        if field == "status":
            value = self._parser.pipeline.find(value)
        redone = [(name, {**args, field: value}) for name, args, _ in previous if field in args]
        return redone if len(redone) == 1 else []

    def _retry_value(self, messages: Sequence[BaseMessage], text: str) -> Parsed | None:
        """ "put 20-30k on Ines" was refused (a range); "ok fine, 25k then" gives the one
        amount: the refused request again with that amount in place of the range."""
        key = _EMOJI.sub("", text).strip().rstrip(".!?").strip()
        match = _BARE_VALUE.match(key) or re.match(r"^(?P<ref>.+)$", key)
        amount = match.group("ref").strip() if match else ""
        # "ok then put 15k", "ah ok my bad. just make it 25k then": the verb before the amount
        amount = re.sub(
            r"^(?:(?:ah|oh|ok|okay|my bad|sorry|oops|fine|right|alright|whatever|meh)[,.!]*\s+)*(?:just\s+)?"
            r"(?:put|make it|set it to|set|use|change it to|go with)\s+",
            "",
            amount,
            flags=re.I,
        )
        amount = re.sub(r"\s+(?:then|instead|please|pls)$", "", amount, flags=re.I)
        if not MONEY.fullmatch(amount) or parse_money(amount) is None:
            # "it's INR. approx 9,600 USD, put that only": the one amount in dollars
            dollars = [m.group(0).strip() for m in MONEY.finditer(key) if m.group("n")]
            dollars = [d for d in dollars if parse_money(d) is not None and _DOLLARS.search(d)]
            if len(dollars) != 1:
                return None
            amount = dollars[0]
        humans = [m for m in messages[:-1] if isinstance(m, HumanMessage)]
        if not humans:
            return None
        before = humans[-1].text if isinstance(humans[-1].text, str) else str(humans[-1].content)
        retried = RANGE.sub(f" {amount} ", before, count=1).replace("  ", " ").strip()
        if retried == before:  # "put value 8 lakh for pooja": the amount in rupees
            refused = [  # rupees, or a negative amount ("set value of Omari to -5000")
                m
                for m in MONEY.finditer(before)
                if m.group("n")
                and (money_problem(m.group(0)) or _MINUS.search(before[: m.start("n")]))
            ]
            if len(refused) == 1:
                start, end = refused[0].span()
                sign = re.search(
                    r"(?:[-−]|minus\s+|negative\s+)\s*[$€£]?\s*$", before[:start], re.I
                )
                start = sign.start() if sign else start  # "-5000" goes whole, sign and all
                retried = f"{before[:start]} {amount} {before[end:]}".replace("  ", " ").strip()
        if retried == before:
            return None
        parsed = self._parser.parse(retried)
        return parsed if parsed.calls else None

    def _forward_only(
        self, calls: list[tuple[str, dict[str, Any]]], text: str, grounded: list[dict[str, Any]]
    ) -> list[tuple[str, dict[str, Any]]]:
        """A stage told in a story ("Bartek from Ostrava Print called back, … so the deal is
        more like 38k now. can you update that") never takes a lead back down the pipeline:
        that move is dropped, and the message is read for what else it asks. A stage asked
        for by name ("move him back to Contacted", "bump her back to new") is kept."""
        named = [e for e in grounded if _by_name(e)]
        if len({e["name"] for e in named}) != 1:
            return calls
        lead = named[0]
        kept: list[tuple[str, dict[str, Any]]] = []
        dropped = False
        for name, args in calls:
            stage = str(args.get("status", ""))
            if (
                name == "change_status"
                and not _asked_for(stage, text)
                and self._anchored._backward([lead], lead["name"], stage)
                and set(normalize(clean_reference(str(args.get("lead", "")))).split())
                & set(lead["words"])
            ):
                dropped = True
                continue
            kept.append((name, args))
        if dropped and not kept:
            return [c for c in self._read_around(text, grounded) or [] if c[0] != "find_leads"]
        return kept

    def _read_around(
        self, text: str, grounded: list[dict[str, Any]]
    ) -> list[tuple[str, dict[str, Any]]] | None:
        """The anchored reading, except a write to "him"/"her" in a message that opens by
        adding someone ("add rizwan qureshi pls, …, stick him in contacted") when the reading
        found no create: that pronoun is the new person, never the lead in focus."""
        calls = self._anchored.read(text, grounded)
        if calls and _ADDS_SOMEONE.match(text) and all(n != "create_lead" for n, _ in calls):
            calls = [
                (name, args)
                for name, args in calls
                if name == "find_leads" or not is_pronoun(str(args.get("lead", "")))
            ]
        return calls

    def _anchor(self, text: str, grounded: list[dict[str, Any]], parsed: Parsed) -> Parsed:
        """The anchored reading (`grammar/anchored.py`) when the grammar found no request, or
        passed on a lead reference that names none of the leads the message names."""
        reads = all(name == "find_leads" and "lead" not in args for name, args in parsed.calls)
        if parsed.calls and not reads and not _misread(parsed.calls, grounded):
            return parsed
        if parsed.calls and reads:
            # "wait no we already sent her the proposal. proposal sent" is no listing
            calls = self._read_around(text, grounded)
            writes = [c for c in calls or [] if c[0] != "find_leads"]
            return Parsed(calls=writes) if writes else parsed
        if not parsed.calls and parsed.reply not in (None, "", NOT_UNDERSTOOD):
            return parsed  # a refusal or a small-talk answer stands
        calls = self._read_around(text, grounded)
        return Parsed(calls=calls) if calls else parsed

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        # "um", "aoife at wicklowbrand dot ie", markdown; "pásala a Won porfa"
        text = in_english(as_typed(_latest_user_text(messages)))
        text = _LABEL_TOO.sub(r"\g<label>:", text)  # "tel also new: 0032 …" is "tel: 0032 …"
        text = _without_meta_questions(text)  # "how do i get rid of a lead? … delete him pls"
        text = _NEW_ONE_IS.sub(r"\g<who> new email is \g<value>", text)  # "ewa's new one is x@y"
        key = _EMOJI.sub("", text).strip().rstrip(".!?").strip()
        first = _NOT_THAT.match(key) or _RIGHT_ONE.match(key) or _NOT_FIRST.match(key)
        grounded = grounded_leads(messages)
        text = _note_without_colon(text, grounded)  # "add a note on wiremu tipene wants a quote …"
        text = _same_place(messages, text)  # "and drag fernanda over to the same column too"
        text = _asked_company(text)  # "she's at universitas gadjah mada now. update her company"
        text = re.sub(r",?\s+on the other hand,?(?=\s)", "", text, flags=re.I)  # "olga on the …"
        text = _self_corrected(text)  # "… more like 1.5 mil? no sorry, 15k": the amount said last
        corrected = (
            _respelled(text, grounded)
            or _other_lead(messages, text, grounded)
            or _onto_existing(messages, text)  # "… just put the number on his existing card"
        )
        if not corrected and not grounded:
            corrected = self._other_value(messages, text)
        if not corrected and first:
            corrected = self._follow_up(messages, text, grounded)
        parsed = Parsed(calls=corrected) if corrected else self._parser.parse(text)
        moved_on = None if corrected or parsed.calls else _company_contrast(text, grounded)
        if moved_on:  # "also shes at bondi digital now not mekong"
            parsed = self._parser.parse(moved_on)
        if not parsed.calls and _previous_reply(messages).startswith(ASK_NAME):
            named = self._parser.parse(f"add new lead {text}")  # the answer: "Aisha Bello"
            if named.calls:
                parsed = named
        if not parsed.calls:
            parsed.calls = self._follow_up(messages, text, grounded)
        if not parsed.calls or all(
            "lead" in args
            and (
                name == "find_leads"
                or set(normalize(clean_reference(str(args["lead"]))).split()) - _PRONOUN_REFS
            )
            and not _names_one(str(args["lead"]), grounded)
            for name, args in parsed.calls
        ):
            # "and kipchoge's is around 45k" names no lead "kipchoge around"
            parsed.calls = self._elided(messages, text) or parsed.calls
        refusal = _previous_reply(messages)
        if not parsed.calls and (refusal.startswith(VALUE_REFUSED) or NEGATIVE_VALUE in refusal):
            parsed = self._retry_value(messages, text) or parsed
        card = None if corrected else reader_for(self.stages).read(text)
        refused = not parsed.calls and parsed.reply not in (None, "", NOT_UNDERSTOOD)
        if card and not refused and wins_over(card, parsed.calls, text):
            parsed = Parsed(calls=[card.call()])  # a new lead described in free order
        parsed = self._anchor(text, grounded, parsed)
        parsed.calls = self._forward_only(parsed.calls, text, grounded)
        parsed.calls = _nearest_antecedent(parsed.calls, text, grounded)
        parsed.calls = _merged([_capitalised(_label_is_no_lead(call)) for call in parsed.calls])
        if not parsed.calls:
            message = AIMessage(content=parsed.reply or "")
        else:
            seed = hashlib.sha1(f"{len(messages)}:{text}".encode()).hexdigest()[:10]
            message = AIMessage(
                content="",
                tool_calls=[
                    {"name": name, "args": args, "id": f"call_{seed}_{i}", "type": "tool_call"}
                    for i, (name, args) in enumerate(parsed.calls)
                ],
            )
        return ChatResult(generations=[ChatGeneration(message=message)])


_CORRECTION = re.compile(
    r"^(?:(?:sorry|oops|ups|no+|nope|nah|ah|oh|ugh|argh|hmm|my bad|wait|actually|typo|argh typo|eh|er|erm"
    r"|pardon|apologies|my apologies|excuse me"
    r"|um|uh|lol|haha|scratch that|forget that|ignore that)[,!.:]?\s+)*"
    r"(?:i\s+meant|i\s+mean|meant|i was talking about|i was referring to|make that|i said|try"
    r"|it's|it is|its"
    r"|it should be|should be|should have been|it's actually|it is actually|correct one is"
    r"|the right one is|make it|change it to|set it to|no it's|it was"
    # "that was for daniela", "it was meant for Dana", "that should have gone to Tom"
    r"|(?:that|it|this)\s+(?:was|is)\s+(?:meant\s+|supposed\s+to\s+be\s+)?for"
    r"|(?:that|it|this)\s+should\s+have\s+(?:gone\s+to|been\s+for|been)|meant\s+for"
    r"|wrong (?:lead|person|one),?\s*(?:it's|its|it is|i meant)?)"
    r"\s+(?P<ref>.+?)(?:\s+not\s+.+|,\s+.*)?$",
    re.I,
)
# "contacted is more accurate", "Dana would be right": the right value, then a judgement.
_RIGHT_ONE = re.compile(
    r"^(?:(?:sorry|oops|ups|no+|nope|nah|ah|oh|ugh|hmm|wait|actually|my bad|pardon|apologies)[,!.:]?\s+)+"
    r"(?P<ref>[^,]+?)\s+(?:is|would be|'s)\s+(?:more accurate|better|more like it|right|correct"
    r"|the right one|what i meant|more correct)$",
    re.I,
)
# "ok fine, 25k then", "alright, Contacted": a new value for the call just made (or refused).
_BARE_VALUE = re.compile(
    r"^(?:(?:ok|okay|fine|alright|sure|right|well|then|hmm|ah|whatever|meh|k)[,!.]?\s+)+"
    r"(?P<ref>(?:[^,]|,(?=\d{3}))+?)(?:\s+(?:then|instead|it is|is fine))?$",
    re.I,
)
# "actually nah not lost, make it contacted": the wrong value first, then the right one.
_NOT_FIRST = re.compile(
    r"^(?:(?:actually|nah|no+|nope|wait|sorry|oops|ups|ugh|hmm|my bad|hold on|pardon|apologies)[,!.:]?\s+)*"
    r"not\s+[^,.]{1,30}[,.]\s*(?=\S)",
    re.I,
)
_TRAILING = re.compile(r"(?:[,\s]+(?:sorry|pls|please|thanks|thx|my bad|lol|oops))+$", re.I)
# "sorry, Lost not Won", "no, Dana not Tom": the right value, then the wrong one.
_NOT_THAT = re.compile(
    r"^(?:(?:sorry|oops|ups|no+|nope|nah|ah|oh|ugh|my bad|wait|actually|pardon|apologies)[,!.:]?\s+)+"
    r"(?P<ref>[^,]+?),?\s+not\s+(?P<wrong>.+)$",
    re.I,
)
_AGAIN = re.compile(
    r"^(?:and\s+)?(?:the one before(?: it| that)?|the previous one|one more|another one|again"
    r"|undo again|that one too|keep going|once more|one more time)(?:\s+too)?(?:\s+please)?$",
    re.I,
)


# After "There is already Bianca Russo — add another, or update her?": "no, just add the
# phone to the existing one", "update the existing one instead".
_ONTO_EXISTING = re.compile(
    r"^(?:(?:no|nope|nah|ok|okay|actually)[,!.]?\s+)*(?:just\s+)?(?:add|put|save|copy|move|use|update)\s+"
    r"(?:(?:the|that|her|his|their|this)\s+)?(?P<what>phone(?: number)?|number|email(?: address)?|value"
    r"|deal value|company|details|info|everything|it|them|that)?\s*(?:(?:to|on|onto|for|in|into)\s+)?"
    r"(?:(?:the\s+|that\s+|his\s+|her\s+|their\s+)?(?:existing|old|current|original|other)\s+"
    r"(?:one|lead|record|contact|entry|card)|the\s+one\s+(?:we|i)\s+(?:have|already have|'ve got"
    r"|have already))(?:\s+(?:instead|then|pls|please))*$",
    re.I,
)
_FIELD_OF = {
    "phone": "phone",
    "number": "phone",
    "email": "email",
    "value": "value",
    "deal": "value",
    "company": "company",
}


def _onto_existing(messages: Sequence[BaseMessage], text: str) -> list[tuple[str, dict[str, Any]]]:
    """The fields of the create just held back as a duplicate, written onto the lead that
    already exists (the lead in focus: the duplicate question put it there)."""
    # "oh right hes already in there. just put the number on his existing card then"
    last = re.split(r"(?<=[.!?])\s+", _EMOJI.sub("", text).strip())[-1]
    match = _ONTO_EXISTING.match(last.strip().rstrip(".!?").strip())
    creates = [args for name, args, _ in _previous_calls(messages) if name == "create_lead"]
    if not match or len(creates) != 1:
        return []
    fields = {k: v for k, v in creates[0].items() if k not in {"name", "confirm_first", "status"}}
    what = (match.group("what") or "").split()[0].lower() if match.group("what") else ""
    if what in _FIELD_OF:
        fields = {k: v for k, v in fields.items() if k == _FIELD_OF[what]}
    if not fields:
        return []
    return [("update_lead", {"lead": "them", **fields})]


def _previous_calls(
    messages: Sequence[BaseMessage],
) -> list[tuple[str, dict[str, Any], bool]]:
    """The tool calls of the previous turn, if it made any, each with whether it wrote
    (its tool answer reports a change)."""
    answers = {m.tool_call_id: str(m.content) for m in messages if isinstance(m, ToolMessage)}
    for message in reversed(messages[:-1]):
        if isinstance(message, HumanMessage):
            continue
        if isinstance(message, AIMessage) and message.tool_calls:
            return [
                (c["name"], dict(c["args"]), bool(_WROTE.match(answers.get(c["id"] or "", ""))))
                for c in message.tool_calls
            ]
    return []


_WROTE = re.compile(r"^Lead '.+' (?:status updated to|updated:)")


def _contact_value(text: str) -> tuple[str, str] | None:
    """("email", …) or ("phone", …) when `text` is just an email address or a phone number."""
    if _EMAIL.fullmatch(text):
        return "email", text.lower()
    if _PHONE.fullmatch(text):
        return "phone", text
    return None


def _previous_reply(messages: Sequence[BaseMessage]) -> str:
    """The assistant's last text reply before the latest user message."""
    for message in reversed(messages[:-1]):
        if isinstance(message, AIMessage) and not message.tool_calls:
            return message.text if isinstance(message.text, str) else str(message.content)
        if isinstance(message, HumanMessage):
            continue
    return ""


def _latest_user_text(messages: Sequence[BaseMessage]) -> str:
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return message.text if isinstance(message.text, str) else str(message.content)
    return ""


_PRONOUN_REFS = frozenset(
    "him her them it he she they his hers their this that the same one lead".split()
)


def _misread(calls: list[tuple[str, dict[str, Any]]], grounded: list[dict[str, Any]]) -> bool:
    """True when a write names its lead with words that name none of the stored leads the
    message names ("closed-lost on brandon" → 'closed'), or with a pronoun although the
    message names a lead."""
    if not grounded:
        # no lead named: only a reference that swallowed a sentence is a misreading
        # ("misread her email... she actually declined set")
        return any(
            name in _WRITE_TOOLS
            and isinstance(args.get("lead"), str)
            and (len(args["lead"].split()) > 4 or re.search(r"\.\.|[,;!?]", args["lead"]))
            for name, args in calls
        )
    known: set[str] = set()
    for entry in grounded:
        known.update(entry["words"])
        known.update(normalize(entry["name"]).split())
        known.update(normalize(entry.get("company")).split())
        known.add((entry.get("email") or "").lower())
    for name, args in calls:
        reference = args.get("lead")
        if name not in _WRITE_TOOLS | {"find_leads"} or not isinstance(reference, str):
            continue
        words = normalize(clean_reference(reference)).split()
        unknown = set(words) - known - _PRONOUN_REFS
        if not words or any(not _near(word, known) for word in unknown):
            return True
        if set(words) <= _PRONOUN_REFS and any(_by_name(entry) for entry in grounded):
            return True
    return False


_WRITE_TOOLS = frozenset({"update_lead", "change_status", "delete_lead"})


def _by_name(entry: dict[str, Any]) -> bool:
    """True when a word of the lead's own name (not only its company) is in the message."""
    return bool(set(entry["words"]) & set(normalize(entry["name"]).split()))


def _near(word: str, known: set[str]) -> bool:
    """True when `word` is a typo of a known name word ("jonh" for "john")."""
    return len(word) >= 4 and any(
        len(k) >= 4 and fuzz.ratio(word, k) >= 75 for k in known if k[:1] == word[:1]
    )


# "also its Benjamin on his card not Ben, fix the name": a name spelled right, no other lead
_FIXES_A_NAME = re.compile(
    r"\b(?:fix|correct|change|update)\s+(?:the|his|her|their)\s+(?:name|spelling|surname)\b"
    r"|\bspel(?:led|t|ling)\b|\b(?:surname|last name|first name)\b",
    re.I,
)
_ADDS_SOMEONE = re.compile(
    r"^\W*(?:(?:pls|please|plz|kindly|can you|could you|can u|hey|hi|ok|okay)[,\s]+)*"
    r"(?:add|create|new lead|new contact|new prospect)\b(?!\s+(?:a\s+)?(?:note|notes|him|her|them|it)\b)",
    re.I,
)
_OPENS_CORRECTION = re.compile(
    r"^\W*(?:(?:lol|haha|lmao|omg|oh|ah|ahh)[,!.\s]+)*(?:ugh|wait|no+|nope|nah|sorry|oops|ups|whoops|actually|typo|my bad|hold on|hang on"
    r"|pardon|apologies|my apologies|excuse me"
    r"|correction|scratch that|argh|damn|dang)\b",
    re.I,
)
# A message that opens with a request of its own is no redirect of the previous one.
_NEW_REQUEST = re.compile(
    r"^\W*(?:(?:pls|please|plz|kindly|can you|could you|can u|ok|okay|hey)[,\s]+)*(?:add|put|create"
    r"|jot|write|log|delete|remove"
    # "rename Efua Mensah to …, had her name wrong": a request naming its own lead
    r"|(?:rename|move|update|mark|bump|push|edit|drag|shift)\s+(?!(?:it|that|this|them|him|her)\b))\b",
    re.I,
)
_REDIRECT = re.compile(
    r"\b(?:wait|no|nope|sorry|oops|wrong|meant|mean|not|actually|my bad|scratch|should have"
    r"|supposed to|instead|correction|arre|ugh|whoops)\b",
    re.I,
)


def _other_lead(
    messages: Sequence[BaseMessage], text: str, grounded: list[dict[str, Any]]
) -> list[tuple[str, dict[str, Any]]]:
    """ "arre wait, Dinesh not Deepak", "oops wrong one, that was meant for niamh": the
    previous turn's changes belong to the one other lead the message names. The wrong lead's
    change is put back first (one undo per change made)."""
    if not grounded or not _REDIRECT.search(text) or _EMAIL.search(text) or stages_named(text):
        return []  # a stage or an address of its own: a new request, not a redirect
    if re.search(
        r"\bnot\s+(?:only|just)\b|\bname(?:\s+is|'s|’s|s\s+(?:actually|is))\b|\bspel(?:led|t|ling)\b",
        text,
        re.I,
    ):
        return []  # "his name is written X, not only Y": a name said right, not another lead
    if re.search(r"\bnotes?\b[^:]{0,40}:", text, re.I) or re.search(
        r"\bnotes?\b.*['\"‘“]", text, re.I
    ):
        return []  # "add a note to leila: prefers whatsapp, not email": the note's own words
    if _NEW_REQUEST.match(text):
        return []  # "pls add note for wiremu …, not email …": a request of its own
    previous = [c for c in _previous_calls(messages) if c[0] in {"change_status", "update_lead"}]
    if not previous or len(previous) > 2:
        return []
    values = {args.get("value") for _, args, _ in previous}
    for match in MONEY.finditer(text):  # "that 35k is nikita's deal": the same amount only
        if match.group("n") and parse_money(match.group(0).strip()) not in values:
            return []
    before = {w for _, args, _ in previous for w in normalize(str(args.get("lead", ""))).split()}
    # a lead named by its company ("deccan is their parent co") may be the very lead just changed
    others = [
        e for e in grounded if not (set(e["words"]) | set(normalize(e["name"]).split())) & before
    ]
    if len({e["name"] for e in others}) != 1:
        return []
    if not any(set(e["words"]) & before for e in grounded) and not re.search(
        r"\b(?:wrong|meant|mean|supposed|should have|instead|not)\b", text, re.I
    ):
        return []  # "no, Dinesh": only with a word that says the lead was the wrong one
    redirected = [(name, {**args, "lead": others[0]["name"]}) for name, args, _ in previous]
    undos = [("undo", {}) for _, _, wrote in previous if wrote]
    return [*undos, *redirected]


_OBJECT_PRONOUN = re.compile(r"\b(?:him|her|them)\b", re.I)


def _mentions(lowered: str, entry: dict[str, Any]) -> list[int]:
    """Where the (normalized) message names a grounded lead (start offsets of its words)."""
    spots: list[int] = []
    for word in entry["words"]:
        if "@" in word:
            continue
        spots += [m.start() for m in re.finditer(rf"(?<!\w){re.escape(word)}(?!\w)", lowered)]
    return sorted(spots)


def _nearest_antecedent(
    calls: list[tuple[str, dict[str, Any]]], text: str, grounded: list[dict[str, Any]]
) -> list[tuple[str, dict[str, Any]]]:
    """ "…mid-demo with owen's team… fatima's team asked for pricing so i sent the proposal,
    can you move her to proposal sent": the one write of a message that names two leads goes
    to the lead named last before its pronoun, not to one named earlier in the chatter."""
    lowered = normalize(text)
    pronouns = [m.start() for m in _OBJECT_PRONOUN.finditer(lowered)]
    named = {e["name"]: e for e in grounded if _by_name(e)}
    if len(pronouns) != 1 or len(named) < 2:
        return calls

    def names(call: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
        reference = set(normalize(clean_reference(str(call[1].get("lead", "")))).split())
        return [e for e in named.values() if reference & set(e["words"])]

    writes = [c for c in calls if c[0] in _WRITE_TOOLS and names(c)]
    if len(writes) != 1 or len(names(writes[0])) != 1:
        return calls
    chosen = names(writes[0])
    before = {
        name: max((s for s in _mentions(lowered, e) if s < pronouns[0]), default=-1)
        for name, e in named.items()
    }
    nearest = max(before, key=lambda name: before[name])
    if before[nearest] < 0 or nearest == chosen[0]["name"]:
        return calls
    if before[chosen[0]["name"]] < 0:
        return calls  # the chosen lead is named after the pronoun: its own clause
    name, args = writes[0]
    return [(n, {**a, "lead": nearest}) if (n, a) == (name, args) else (n, a) for n, a in calls]


_AND_ALSO = re.compile(
    r"^(?:(?:and|also|plus|&|oh and|and also)\s+(?P<rest>.+?)(?:,?\s+(?:also|too|as well|pls|please"
    r"|same (?:stage|one|thing|column|value)|same as (?:before|him|her|them)))*"
    r"|(?P<bare>[^\s,]+(?:\s+[^\s,]+)?)\s+(?:too|also|as well))$",
    re.I,
)
# "same for Dimitri", "ditto for Ana", "same goes for the Acme one": the previous request again
# "and drag fernanda over to the same column too": the stage the previous turn moved to
_SAME_PLACE = re.compile(
    r"\b(?P<to>to|into|in|under)\s+(?:the\s+)?same\s+(?:stage|column|status|place|spot|step"
    r"|bucket|one)\b(?:\s+(?:too|also|as well))?",
    re.I,
)


def _same_place(messages: Sequence[BaseMessage], text: str) -> str:
    """`text` with "the same column" written as the stage the previous turn moved a lead to
    (unchanged when the previous turn moved no lead, or more than one stage)."""
    if not _SAME_PLACE.search(text):
        return text
    stages = {
        args.get("status")
        for name, args, _ in _previous_calls(messages)
        if name == "change_status" and args.get("status")
    }
    if len(stages) != 1:
        return text
    (stage,) = stages
    return _SAME_PLACE.sub(lambda m: f"{m['to']} {stage}", text, count=1)


_SAME_FOR = re.compile(
    r"^(?:and\s+)?(?:same|ditto|likewise|the same)\s+(?:goes\s+)?(?:for|with)\s+(?P<rest>[^,.;!?]+?)"
    r"(?:\s+(?:too|also|as well|pls|please))*(?:[,.;!]\s*.*)?$",
    re.I,
)
_THEIRS_IS = re.compile(r"^(?P<rest>[\w.-]+(?:\s+[\w.-]+)?(?:'s|’s)\s+(?:is|=)\s+.+)$", re.I)
_FIELD_LABELS = frozenset(
    "ph phone mob mobile cell tel email e-mail mail number no whatsapp wa direct line office work"
    " landline her his their new".split()
)


def _label_is_no_lead(call: tuple[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """ "ph: +44 7700 900123" read as lead 'ph': a field's label names no lead, the value is
    for the lead in focus."""
    name, args = call
    words = normalize(str(args.get("lead", ""))).split()
    if (
        name == "update_lead"
        and words
        and set(words) <= _FIELD_LABELS
        and set(words) - {"her", "his", "their", "new"}
    ):
        return name, {**args, "lead": "them"}
    return call


# A question about the product around the request: "how do i get rid of a lead? yusuf …
# told us to stop contacting them, delete him pls", "is there a notes thing? if so jot down
# for pedro: …", "… mark her as closed won pls — or is that something my manager does?"
_HOW_FIRST = re.compile(
    r"^\W*(?:(?:ok|okay|so|hey|hi)[,\s]+)*(?:how\s+(?:do|can|would|should)\s+(?:i|we|you)|how\s+to"
    r"|is\s+there|can\s+i|do\s+i|where\s+do\s+i|what's\s+the\s+way\s+to)\b[^?]{0,80}\?+\s*"
    r"(?:(?:if\s+so|if\s+yes|if\s+yes\s+then|then|anyway)[,\s]+)?(?=\S+(?:\s+\S+){2,})",
    re.I,
)
_OR_QUESTION_LAST = re.compile(
    r"\s*(?:[,—–-]+\s*)?\bor\s+(?:is|do|does|should|can|will|am|are|would)\s+[^?.!]{0,80}\?+\s*$",
    re.I,
)


def _without_meta_questions(text: str) -> str:
    """The request without the questions about the product asked around it."""
    first = _HOW_FIRST.match(text)
    if first and re.search(
        r"\b(?:add|create|enter|log|put)\b.*\b(?:lead|contact|someone)", first[0], re.I
    ):
        first = None  # "how do i add a lead? met a guy from …": the card reads it as a create
    stripped = _OR_QUESTION_LAST.sub("", text[first.end() :] if first else text)
    return stripped if stripped.strip() else text


_NEW_ONE_IS = re.compile(
    r"(?P<who>\b[\w-]+(?:'s|’s))\s+new\s+one\s+(?:is|=|:)\s+(?P<value>[\w.+'-]+@[\w-]+(?:\.[\w-]+)+)",
    re.I,
)
_NOTE_ON = re.compile(
    r"^(?P<verb>\W*(?:(?:ok|okay|so|pls|please)[,\s]+)*(?:add|put|leave|make|write|drop|jot(?:\s+down)?)"
    r"\s+(?:a\s+)?(?:quick\s+)?note\s+(?:on|to|for|about|against)\s+)(?P<rest>[^:]+)$",
    re.I,
)
_ADD_TO_X = re.compile(
    r"^(?P<verb>\W*(?:(?:ok|okay|so|pls|please)[,\s]+)*(?:add|put|write|jot(?:\s+down)?)\s+(?:to|for|on)\s+)"
    r"(?P<ref>[^:,.!?]{1,40}?)\s*:\s*(?P<note>.+)$",
    re.I,
)


def _note_without_colon(text: str, grounded: list[dict[str, Any]]) -> str:
    """ "add a note on wiremu tipene wants a quote …": the note begins where the lead's name
    ends (the whole name of one stored lead); "ok add to leila: prefers whatsapp" is a note
    unless what follows the colon is a field ("add to leila: phone …")."""
    to_x = _ADD_TO_X.match(text)
    if to_x and re.search(r"\bnotes?\b", to_x["ref"], re.I):
        to_x = None  # "add to hamish's notes: …" says so already
    if to_x and not re.match(
        r"(?:e-?mail|phone|ph|tel|mobile|cell|value|company|stage|status|[\w.+-]+@|\+?\d)",
        to_x["note"].strip(),
        re.I,
    ):
        return f"add a note to {to_x['ref']}: {to_x['note']}"
    on = _NOTE_ON.match(text)
    if not on:
        return text
    rest = on["rest"]
    for entry in grounded:
        name = entry["name"]
        if re.match(rf"{re.escape(name)}\b", rest, re.I):
            note = rest[len(name) :].strip(" ,-—–")
            if note and note[0] not in "'\"‘“":  # a quoted note is read whole elsewhere
                return f"add a note to {name}: {note}"
    return text


_LABEL_TOO = re.compile(
    r"^(?:and\s+|also\s+)?(?:(?:her|his|their|the)\s+)?(?:new\s+)?(?P<label>tel|phone|ph|mobile|mob|cell"
    r"|number|e-?mail|mail)(?:\s+(?:also|too|now|new|is|changed|as well))+\s*:",
    re.I,
)
_NAME_CUE = re.compile(
    r"\b(?:spell|spelled|spelt|spelling|surname|last name|first name|family name|full name|name"
    r"|rename|married)\b",
    re.I,
)
_X_NOT_Y = re.compile(
    r"(?<![\w'’-])(?P<new>[^\W\d_][\w'’-]+)\s*,?\s+not\s+(?P<old>[^\W\d_][\w'’-]+)"
)
_FIX_IT_TO = re.compile(
    r"\b(?:fix|change|correct|update|make|set|rename)\s+(?:it|that|(?:his|her|their|the)\s+name|him"
    r"|her|them)\s+(?:to|as|into)\s+(?P<full>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){1,3})\b"
)


# "his name is written Kwame Asante-Mensah, not only Kwame Asante": the whole name, said right
_NAME_IS_FULL = re.compile(
    r"\b(?:his|her|their|the)\s+(?:full\s+|correct\s+|real\s+)?name\s+(?:is|should be)\s+"
    r"(?:(?:written|spelled|spelt|actually)\s+)?(?:as\s+)?"
    r"(?P<full>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){1,3})\s*,?\s+not\s+(?:only\s+|just\s+)?"
    r"(?P<old>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){0,3})"
)


# "greta lund got married, she's Greta Holm now", "he changed his surname, he's Ali Khan now"
_NEW_NAME_NOW = re.compile(
    r"(?i:\b(?:got married|married|changed (?:her|his|their) (?:last |family )?(?:name|surname)"
    r"|new surname|took (?:her|his) (?:husband's|wife's|partner's) name)\b[^.;]*?\b(?:she's|he's"
    r"|she is|he is|they're|is now|goes by)\s+(?:now\s+)?)"
    r"(?P<full>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){1,2})"
)


def _respelled(text: str, grounded: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """A name spelled right: "his surname is Raghavan not Raghvan", "its spelled Shaun not
    Sean, rename him", "jo whitfield's full name is joanna, can u fix it to Joanna
    Whitfield". The lead is the one stored lead whose name has the wrong word (or, for a
    full name, the one lead the message names); only a spelling close to the old one counts."""
    if not _NAME_CUE.search(text):
        return []
    # "spelled Karimi with an i, not Karimy": how it is spelled is no word of the name
    text = re.sub(
        r"\s+(?:with|ending in|ends in|ending with)\s+(?:an?|the|one|two|double)\s+[a-z]{1,2}\b"
        rf"(?:\s+at the end)?|\s+{WHERE_WRITTEN}",
        "",
        text,
        flags=re.I,
    )
    named = [e for e in grounded if _by_name(e)]
    said = _NAME_IS_FULL.search(text)
    if said and is_person_name(said.group("full")):
        # "… not only Kwame Asante": the lead is the one the old name names in full
        owners = {
            e["name"] for e in grounded if normalize(e["name"]) == normalize(said.group("old"))
        }
        if len(owners) == 1 and normalize(said.group("full")) not in {normalize(o) for o in owners}:
            return [("update_lead", {"lead": owners.pop(), "name": said.group("full")})]
    full = _FIX_IT_TO.search(text) or _NEW_NAME_NOW.search(text)
    if full and len({e["name"] for e in named}) == 1 and is_person_name(full.group("full")):
        if normalize(full.group("full")) != normalize(named[0]["name"]):
            return [("update_lead", {"lead": named[0]["name"], "name": full.group("full")})]
    wrong = _SPELT_WRONG.search(text) or _SPELLED_AS.search(text)
    if wrong:  # "his surname is spelt wrong, it's O'Sullivan", "fix her name, it's Sri Lestari"
        return _spelt_right(wrong.group("new"), grounded)
    for match in _X_NOT_Y.finditer(text):
        new, old = match.group("new"), match.group("old")
        owners = [e for e in grounded if normalize(old) in normalize(e["name"]).split()]
        if len({e["name"] for e in owners}) != 1 or normalize(new) == normalize(old):
            continue
        close = fuzz.ratio(normalize(new), normalize(old))
        surname = re.search(
            r"\b(?:surname|last name|family name|spell|spelled|spelt)\b", text, re.I
        )
        longer = normalize(new).startswith(normalize(old))  # "Benjamin not Ben"
        if close < 60 and not (
            (surname or longer) and close >= 40 and new[:1].lower() == old[:1].lower()
        ):
            continue  # "Leong not Lee" is said to be the surname: close enough
        if not is_person_name(new):
            continue
        words = owners[0]["name"].split()
        spelled = new if new[:1].isupper() else new.capitalize()
        renamed = " ".join(spelled if normalize(w) == normalize(old) else w for w in words)
        return [("update_lead", {"lead": owners[0]["name"], "name": renamed})]
    return []


_SPELT_WRONG = re.compile(
    r"\b(?:(?:surname|last name|family name|first name|name)\s+(?:is\s+)?(?:spelt|spelled|written"
    r"|typed)\s+wrong(?:ly)?|(?:fix|correct)\s+(?:his|her|their|the)\s+(?:name|surname|last name"
    r"|spelling))\b[^.;]{0,30}?[,.;:—-]?\s+(?:it's|its|it is|it should be|should be)\s+"
    r"(?P<new>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){0,3})\s*[.!]*$"
)


# "his surname is spelled Tavarez with a z, can u fix": the right spelling, said plainly
_SPELLED_AS = re.compile(
    r"\b(?:surname|last name|family name|first name|name)\s+is\s+(?:actually\s+)?(?:spelled|spelt"
    r"|written)\s+(?P<new>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){0,3})\b(?!\s*,?\s+not\b)"
)


def _spelt_right(new: str, grounded: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """The one stored lead a corrected spelling belongs to: its whole name close to a full
    name given ("Sri Lestari" for Sri Lestary), or one word of its name close to a single
    word given ("O'Sullivan" for O'Sullivann), that word replaced."""
    said = new.split()
    owners: dict[str, str] = {}
    for entry in grounded:
        words = entry["name"].split()
        if len(said) > 1:
            if fuzz.ratio(normalize(new), normalize(entry["name"])) >= 80:
                owners[entry["name"]] = new
            continue
        close = [w for w in words if fuzz.ratio(normalize(w), normalize(new)) >= 75]
        if len(close) == 1 and close[0] != new:
            owners[entry["name"]] = " ".join(new if w == close[0] else w for w in words)
    if len(owners) != 1:
        return []
    ((lead, renamed),) = owners.items()
    return [] if renamed == lead else [("update_lead", {"lead": lead, "name": renamed})]


_NOW_AT = re.compile(
    r"^(?P<head>.*?\b(?:at|with|for|joined)\s+)(?P<new>[a-z][\w&'’-]*(?:\s+[a-z&][\w&'’-]*){0,4}?)"
    r"(?:\s+now)?,?\s+(?:and\s+)?not\s+(?:at\s+|with\s+)?(?P<old>[\w&'’ -]+?)(?:\s+(?:any ?more|now))?$",
    re.I,
)


_AMOUNT_WORDS = r"[$€£]?\d[\d,.]*(?:\s*(?:k|m|mil|million|grand|thousand|bucks|usd|dollars))?"
_SELF_CORRECTED = re.compile(
    rf"(?P<a>{_AMOUNT_WORDS})[?!.,]*\s+(?:(?:no|nope|nah|sorry|wait|actually|oops|i mean|i meant"
    rf"|make that|make it|or rather|correction|scratch that)[?!.,]*\s+)+(?P<b>{_AMOUNT_WORDS})\b",
    re.I,
)


def _self_corrected(text: str) -> str:
    """ "saoirse's is more like 1.5 mil? no sorry, 15k", "the deal is 40k, no actually make
    that 45k": an amount taken back in the same message is replaced by the one said after."""
    match = _SELF_CORRECTED.search(text)
    if not match or not MONEY.search(match["a"]) or not MONEY.search(match["b"]):
        return text
    return f"{text[: match.start()]}{match['b']}{text[match.end() :]}"


_COMPANY_ASKED = re.compile(
    r"\b(?:update|change|fix|set|correct)\s+(?:her|his|their|the)\s+(?:company|employer|org)\b",
    re.I,
)
_LOWER_NEW_COMPANY = re.compile(
    r"(?P<head>\b(?:(?:she|he|they)(?:'s|’s|\s+is|\s+are|'re)\s+(?:now\s+)?(?:at|with|over at)|joined"
    r"|moved to|went to|works at|working at|now at)\s+)(?P<new>[a-z][\w&'’-]*(?:\s+[a-z&][\w&'’-]*){1,4}?)"
    r"(?=\s+now\b|\s*[.,;!]|\s+(?:so|and|pls|please|update|change)\b|$)"
)


def _asked_company(text: str) -> str:
    """A new company typed in lower case is sure when the message asks for the company to be
    updated ("sri lestary changed jobs, she's at universitas gadjah mada now. update her
    company"): it is written capitalised, as a create stores it."""
    if not _COMPANY_ASKED.search(text):
        return text
    return _LOWER_NEW_COMPANY.sub(lambda m: m["head"] + title_case(m["new"]), text, count=1)


def _company_contrast(text: str, grounded: list[dict[str, Any]]) -> str | None:
    """ "also shes at bondi digital now not mekong": a new company typed in lower case is
    sure when the message names the lead's old one as the one it is not. The message again,
    the new company capitalised and the old one dropped; None otherwise."""
    match = _NOW_AT.match(_clean(text))
    if not match:
        return None
    old = set(normalize(match.group("old")).split())
    companies = [e for e in grounded if old and old <= set(normalize(e.get("company")).split())]
    if len(companies) != 1:
        return None
    return f"{match.group('head')}{title_case(match.group('new'))} now"


def _asked_for(stage: str, text: str) -> bool:
    """True when the message names `stage` (or a word for it) as where to put the lead:
    "back to contacted", "into New", "-> Lost"."""
    words = [stage] + [w for w, s in stage_words().items() if s == stage]
    names = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return bool(
        re.search(
            rf"(?:\b(?:to|into|in|as|under|on|at)|->|→|=>|:)\s+(?:the\s+)?(?:{names})\b", text, re.I
        )
    )


_ONE_OF = {"she": "her", "he": "him", "they": "them", "his": "him", "their": "them"}


def _same_ref(a: Any, b: Any) -> bool:
    """ "her" and "she" (or "Ewa" and "Ewa") name the same lead."""
    a, b = str(a or "").lower(), str(b or "").lower()
    return _ONE_OF.get(a, a) == _ONE_OF.get(b, b)


def _merged(calls: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    """Updates of one lead in a row ("her email is …, she's looking at ~15k") as one update."""
    merged: list[tuple[str, dict[str, Any]]] = []
    for name, args in calls:
        fields = set(args) - {"lead", "confirm_first"}
        if (
            merged
            and name == "update_lead" == merged[-1][0]
            and _same_ref(args.get("lead"), merged[-1][1].get("lead"))
            and not fields & (set(merged[-1][1]) - {"lead", "confirm_first"})
        ):
            merged[-1] = (name, {**merged[-1][1], **args})
            continue
        merged.append((name, args))
    return merged


def _capitalised(call: tuple[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """A new name or company of two or more words typed all in lower case is stored
    capitalised, as a create stores it ("naivasha flower exporters" → "Naivasha Flower
    Exporters"); a capital the user typed is kept as typed."""
    name, args = call
    if name != "update_lead":
        return call
    fixed = {
        key: title_case(value)
        if key in {"name", "company"}
        and isinstance(value, str)
        and len(value.split()) >= 2
        and value == value.lower()
        else value
        for key, value in args.items()
    }
    return name, fixed


def _leading_amount(text: str) -> tuple[str, float] | None:
    """ "fifty three k i swapped the numbers" → ("value", 53000): an amount written as money
    first, then only words of a reason (no other number, e-mail or stage)."""
    spelled = spell_numbers(text)
    match = MONEY.match(spelled)
    if not match or not match.group("n") or re.search(r"[\d@]", spelled[match.end() :]):
        return None
    amount = parse_money(match.group(0))
    marked = re.search(r"[$€£]|\d\s*(?:k|m|mil|grand|thousand|million)\b", match.group(0), re.I)
    if amount is None or not (marked or amount >= 1000):
        return None
    return "value", amount


def _names_one(reference: str, grounded: list[dict[str, Any]]) -> bool:
    """True when every word of `reference` names (or nearly names) one grounded lead."""
    words = set(normalize(clean_reference(reference)).split()) - _PRONOUN_REFS
    known = {w for e in grounded for w in [*e["words"], *normalize(e["name"]).split()]}
    return bool(words) and all(w in known or _near(w, known) for w in words)
