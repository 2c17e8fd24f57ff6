"""Stage 3, intents: new leads, their fields in any order; unexplained words → ask first."""

from __future__ import annotations

import re
from typing import Any

from agent_service.graph.models.grammar.normalize import (
    _clean,
    _company,
    _stage_words,
    _strip_title,
)
from agent_service.graph.models.grammar.recognizers import (
    is_company,
    is_person_name,
    looks_like_company,
    parse_money,
    person_name_prefix,
)
from agent_service.graph.models.grammar.vocabulary import _EMAIL, _PHONE, _UPDATE_FIELD, Call
from agent_service.graph.models.grammar.words import is_chatter


def title_case(name: str) -> str:
    """ "wanjiru kamau" → "Wanjiru Kamau", "liam o'connor" → "Liam O'Connor": a name typed all
    in lower case is stored capitalised; any capital typed by the user is kept as typed."""
    if name != name.lower():
        return name
    return re.sub(r"(^|[\s'’-])([^\W\d_])", lambda m: m.group(1) + m.group(2).upper(), name)


class CreateIntents:
    """Rules of the `CommandParser` (a mixin: `self.pipeline`, `self.stage` …)."""

    pipeline: Any

    def _create(self, clause: str) -> list[Call] | None:
        patterns = [
            r"^(?:add|create|insert|register|enter|log|record|capture|save|make|open|set up|onboard)"
            r"\s+(?:a\s+|an\s+)?(?:new\s+)?(?:lead|contact|prospect|customer|client|person|deal|opportunity|entry|record|card)"
            r"(?:\s+for\s+(?:me|us))?(?:\s+(?:called|named|for|with name|:|-|—))?\s*:?\s*(?P<rest>.+)$",
            r"^new\s+(?:lead|contact|prospect|customer|client|deal|opportunity)\s*(?:called|named|for|:|-|—|,)?\s*(?P<rest>.+)$",
            r"^(?:add|create|insert|register|enter|log)\s+(?P<rest>.+?)(?:\s+(?:as|to)\s+(?:a\s+)?(?:new\s+)?(?:lead|contact|prospect)(?:\s+(?:to|in)\s+(?:the\s+)?(?:crm|pipeline|board|system))?)?$",
            # "met Harriet Booth at …": a name typed as one ("met a bunch of ppl …" is no lead)
            r"^(?:i\s+)?(?:just\s+)?met\s+(?:with\s+)?(?P<rest>(?-i:[A-Z]).+)$",
            r"^(?:i\s+)?(?:just\s+)?(?:got a (?:new\s+)?(?:lead|contact|referral)|spoke to a new (?:lead|prospect)|have a new (?:lead|prospect|contact))\s*(?:called|named|:|-|,)?\s*(?P<rest>.+)$",
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
        value = (
            re.search(
                r"(?:,\s*|\s+)(?:worth|valued at|value(?:d)?(?: of| is|:)?|deal(?: size| value)?(?: of| is|:)?|budget(?: of| is|:)?|for)\s+"
                r"(?P<v>[-−]?(?:usd|eur|gbp)?\s*[$€£]?\s*\d[\d,]*(?:\.\d+)?\s*(?:k|m|mm|grand|thousand|million|usd|eur|dollars|euros)?)\b",
                rest,
                re.I,
            )
            or re.search(
                r"(?:,\s*|\s+)(?P<v>[-−]?[$€£]\s*\d[\d,]*(?:\.\d+)?\s*(?:k|m|mm|grand|thousand|million)?)\b(?:\s*(?:deal|opportunity|potential)\b)?",
                rest,
                re.I,
            )
            or re.search(  # "45k", "1.2m", "45 grand", "45k usd": a unit makes it an amount
                r"(?:,\s*|\s+)(?P<v>[-−]?\d[\d,]*(?:\.\d+)?\s*(?:k|m|mm|grand|thousand|million)"
                r"(?:\s*(?:usd|eur|gbp|dollars|euros))?|\d[\d,]*(?:\.\d+)?\s*(?:usd|eur|gbp|dollars|euros))"
                r"(?=\s*(?:,|$|(?:deal|opportunity|potential)\b))",
                rest,
                re.I,
            )
        )
        if value:
            args["value"] = parse_money(value.group("v"))
            after = re.sub(
                r"^\s*(?:deal|opportunity|potential)\b", "", rest[value.end() :], flags=re.I
            )
            rest = rest[: value.start()] + " " + after
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
            r"(?:\s+(?:from|at|of|with|@|who works (?:at|for|by)|working (?:at|for|by)|works (?:at|for|by)"
            r"|company(?:\s+is|\s+name\s+is|:)?|,\s*company(?:\s+is|:)?)\s+)(?P<c>[^,()]+?)(?=\s*(?:,|\(|$))",
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
        # Free order: a piece that is exactly a stage ("…, meeting booked, 15k") is the stage.
        for i, piece in enumerate(pieces):
            if "status" not in args and self.pipeline.resolve(_stage_words(piece)):
                args["status"] = self.pipeline.resolve(_stage_words(piece))
                pieces.pop(i)
                break
        # "contact is Diego Herrera", "contact: Diego Herrera": the person, wherever it stands.
        for i, piece in enumerate(pieces):
            contact = re.match(
                r"^(?:the\s+)?(?:contact|contact person|person|name)(?:'s name)?\s*(?:is|:|=)\s*(?P<n>.+)$",
                piece,
                re.I,
            )
            if contact and is_person_name(contact.group("n")):
                pieces.pop(i)
                pieces.insert(0, contact.group("n"))
                break
        if not pieces:
            return None
        # Free order ("$45k, Meridian Solar, Aisha Bello"): the name is the first piece that
        # can be a person's name; a piece that marks a company is the company.
        named = [i for i, p in enumerate(pieces) if is_person_name(_strip_title(p))]
        if named and named[0] != 0 and not is_person_name(_strip_title(pieces[0])):
            pieces.insert(0, pieces.pop(named[0]))
        if "company" not in args:
            marked = [
                i for i, p in enumerate(pieces[1:], 1) if looks_like_company(p) and is_company(p)
            ]
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
        words = name.split()
        if name == name.lower() and len(words) > 2 and "company" not in args:
            # "bianca russo lumen lighting": where the name ends is a guess; read the first
            # two words as the name and the rest as the company, and ask before writing.
            name, args["company"] = " ".join(words[:2]), " ".join(words[2:])
            args["confirm_first"] = True
        if (
            "company" not in args
            and leftovers
            and looks_like_company(f"x {leftovers[0]}")
            and is_company(leftovers[0])
        ):
            args["company"] = leftovers.pop(0)  # "Aisha Bello meridian solar 45k"
        if "company" not in args and leftovers and not re.search(r"\d", leftovers[0]):
            # a piece typed as a name ("…, Kora Payments, …"); a lower-case one with no mark of
            # a company ("full roof replacement after the hail") is no company: asked about
            if is_company(leftovers[0]) and (
                leftovers[0][:1].isupper() or len(leftovers[0].split()) <= 3
            ):
                args["company"] = leftovers.pop(0)
        leftovers = [piece for piece in leftovers if not is_chatter(piece)]
        if leftovers or ("company" in args and not is_company(args["company"])):
            args["confirm_first"] = True
        if args.get("company"):
            args["company"] = title_case(str(args["company"]))
        return {"name": title_case(name), **args}
