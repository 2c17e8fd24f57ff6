"""Stage 3, intents: questions (one lead, a field, listings by stage/company, history)."""

from __future__ import annotations

import re
from typing import Any

from agent_service.graph.models.grammar.history import history_call
from agent_service.graph.models.grammar.normalize import _clean, _ref
from agent_service.graph.models.grammar.totals import totals_question
from agent_service.graph.models.grammar.validate import nameless_create
from agent_service.graph.models.grammar.vocabulary import (
    _ALL,
    _EMAIL,
    _FIELD,
    _FIELD_WORDS,
    _LIST_NOUN,
    _QUERY_SKIP,
    _TAIL,
    Call,
)
from agent_service.graph.tools import TOOLS_BY_NAME


class QueryIntents:
    """Rules of the `CommandParser` (a mixin: `self.pipeline`, `self.stage` …)."""

    pipeline: Any

    def _history(self, clause: str) -> list[Call] | None:
        """ "what changed today?", "who moved John?" (only when the tool is offered)."""
        return history_call(clause, offered="lead_history" in TOOLS_BY_NAME)

    def _query(self, clause: str) -> list[Call] | None:
        text = clause.strip()
        # "who's sitting in proposal sent rn?", "who's still in New atm": who is in a stage now
        where = re.match(
            r"^(who(?:'s|’s| is| are|s))\s+(?:(?:sitting|still|currently|stuck|parked|actually|now"
            r"|right now|at the moment)\s+)*(?:in|at|on)\s+(?P<rest>\S.*)$",
            text,
            flags=re.I,
        )
        if where and self.stage(re.sub(r"[?!.\s]+$", "", where["rest"])):  # type: ignore[attr-defined]
            text = f"{where[1]} in {where['rest']}"  # "who is actually at Proposal sent?"
        text = re.sub(
            r"\s+(?:rn|atm|right now|at the moment|currently|now|then|again|pls|please|btw"
            r"|by the way)(?=\W*$)",
            "",
            text,
            flags=re.I,
        )
        nameless = nameless_create(text, self)  # type: ignore[arg-type]
        if nameless:  # "new lead at Helios Solar": a create naming nobody, never a listing
            return [nameless]
        totals = totals_question(text, self.stage)  # type: ignore[attr-defined]
        if totals:  # "Tom signed. what's the pipeline worth?": the second clause
            return totals
        ask = (
            r"(?:what(?:'s|’s| is| was| are)?|whats|tell me|give me|show me|show|get me|get|find|"
            r"look up|lookup|do we have|do you have|do i have|have we got|have you got|got|i need|need|send me|check|pull up|fetch)"
        )
        # One field of one lead.
        for pattern in (
            rf"^(?:{ask}\s+)?(?:the\s+|a\s+|an\s+|any\s+)?(?P<field>{_FIELD})(?:\s+address)?"
            r"(?:\s+(?:we|i|you)\s+(?:have|got|have got|have on file|have saved|have stored))?"
            r"\s+(?:of|for|on|at)\s+(?P<ref>.+)$",
            rf"^(?:{ask}\s+)?(?P<owner>his|her|their|its)\s+(?P<field>{_FIELD})(?:\s+address)?$",
            rf"^(?:{ask}\s+)?(?P<ref>.+?)(?:'s|’s|s')\s+(?P<field>{_FIELD})(?:\s+address)?(?:\s+(?:again|now|currently))?$",
            rf"^(?:{ask}\s+)?(?:what|which)\s+(?P<ref>.+?)(?:'s|’s|s')\s+(?P<field>{_FIELD})(?:\s+address)?\s+(?:is|was)$",
            # "whats kai andersons phone": a possessive typed without its apostrophe
            rf"^{ask}\s+(?:the\s+)?(?P<ref>[\w .'’-]+?s)\s+(?P<field>{_FIELD})(?:\s+address)?$",
            rf"^(?:what|which)\s+(?P<field>{_FIELD})\s+(?:is|does|do)\s+(?P<ref>.+?)\s+(?:in|at|have|got|on|using|use|with|from|working for|working at|at now)$",
            rf"^(?:what|which|any)\s+(?P<field>{_FIELD})(?:\s+address)?\s+(?:do|did|have)\s+(?:we|you|i)\s+(?:have|got|get|saved|stored|on file)?\s*(?:on|for|about|from)\s+(?P<ref>.+)$",
            r"^(?:how much|what)(?:\s+is|\s*'s|\s*’s|s)\s+(?P<ref>.+?)(?:'s)?\s+(?:deal\s+)?(?:worth|valued at)$",
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
                if not reference or _ALL.match(reference) or re.search(r":\s|\s\S+@", reference):
                    return None
                if len(reference.split()) > 1 and re.search(
                    r"\b(?:he|she|they|we|i|said|says|got|had|were)\b", reference, re.I
                ):
                    return None  # "he said they got budget": a remark, not a lead's field
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
        if company and re.search(r"[?.!]\s", rest[: company.start()]):
            company = None  # "what's rahul's email? need it for the invite": another sentence
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

    def _bare_details(self, clause: str) -> list[Call] | None:
        text = _clean(clause)
        if _EMAIL.fullmatch(text):
            return [("find_leads", {"lead": text.lower()})]
        stage = self.stage(text)
        if stage:
            return [("find_leads", {"status": stage})]
        return None
