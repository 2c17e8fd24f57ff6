"""Stage 3, intents: a new lead described in free order, the way a rep pastes a business card.

"25k opp, cto @ Tunde Systems, name's Emeka Okafor, emeka@tundesystems.ng. just had the disco
call so stick him in contacted" — the message is cut into pieces (commas, semicolons, pipes,
sentence ends, dashes) and every piece must be placed by a typed recognizer: the person's
name, the company, an e-mail, a phone, an amount, a stage. Words around a value come from
`lexicon/create_card.yaml`. A piece nothing places is never stored: the lead is shown and the
user asked first (`confirm_first`); with no name the create node asks for it.

The reading starts only from a request to create ("new lead pls", "add her as a new lead",
"create one new lead") or from a name said to be one ("name's Emeka Okafor") with details
around it; anything else is left to the grammar.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from agent_service.graph.models.grammar.anchored import stages_named
from agent_service.graph.models.grammar.intent_create import title_case
from agent_service.graph.models.grammar.normalize import _EMOJI, _EMOTICON
from agent_service.graph.models.grammar.recognizers import (
    EMAIL,
    MONEY,
    NAME_PARTICLES,
    PHONE,
    RANGE,
    TITLE,
    is_company,
    is_person_name,
    looks_like_company,
    parse_money,
    spell_numbers,
)
from agent_service.graph.models.grammar.words import _yaml, glue

# "new lead pls", "add her as new lead", "create one new lead", "can u spin up a new lead",
# "got a new one:", "pls create lead for company …".
_TRIGGER = re.compile(
    r"(?:\b(?:add|create|make|log|enter|register|save|insert|record|capture|open|put in|set up"
    r"|spin up|throw in|pop in|chuck in|stick in)\s+(?:(?:me|us|him|her|them|this|it|one|a|an"
    r"|another|this one|the following)\s+)*(?:as\s+)?(?:(?:a|an|one|the)\s+)?(?:new\s+)?"
    r"|(?<=[,;:.!])\s*(?:new|fresh)\s+(?=(?:lead|contact|prospect|opp|opportunity)\b)"
    r"|(?:^|\b(?:a|got a|got another|another|one|pls|please|kindly|one more)\s+)(?:new|fresh)\s+"
    r"(?:(?:hot|warm|inbound|qualified|potential|big|good|solid)\s+)?"
    r"|(?:^|\b(?:a|got a|got another|another|new)\s+)(?:hot|warm|inbound)\s+(?=lead\b)"
    r"|\bgot\s+(?:a|another)\s+(?:new\s+|hot\s+|fresh\s+|warm\s+)?(?=one\b|lead\b))"
    r"(?:lead|contact|prospect|opp|opportunity|entry|card|one)\b"
    r"(?:\s+(?:for\s+(?:me|us)|(?:in(?:to)?|for|on|to)\s+the\s+(?:crm|system|board|pipeline)|real quick|quickly"
    r"|for(?=\s+[A-Z])"
    r"|pls|please|plz|here))*",
    re.I,
)
# "create: Zanele Dlamini | …", "add Hiroshi Yamamoto, Kaito Games, …": a create whose first
# words are the verb, then a colon or a capitalised name.
_VERB_FIRST = re.compile(
    r"^(?:(?:pls|please|kindly|can you|could you|can u)\s+)?(?:add|create|new)\s*:\s*"
    r"|^(?:(?:[Pp]ls|[Pp]lease|[Kk]indly|[Cc]an you|[Cc]ould you|[Cc]an u)\s+)?(?:[Aa]dd|[Cc]reate)\s+"
    r"(?=[A-Z][\w'’-]+\s+(?:(?:de|van|von|der|den|da|di|del|la|le|al|el|bin|ten|ter)\s+)*[A-Z])"
    # "add rizwan qureshi pls, ops manager from …": two words then the details after a comma
    r"|^(?:(?:pls|please|kindly|can you|could you|can u)\s+)?add\s+(?=[a-z][\w'’-]+\s+[a-z][\w'’-]+"
    r"(?:\s+(?:pls|please|plz))?\s*(?:,|\s(?:from|at|@)\s))"
)
# A question about creating ("how do I add a new lead?"), not a request.
_ASKS_HOW = re.compile(r"^\W*(?:how|where|why|did|have i|has|was|is there|what)\b", re.I)
_LABELLED_NAME = re.compile(
    # "contact at St Brendan's College is Pieter Botha"
    r"^(?:(?:the|our|my|their)\s+)?(?:contact|person|guy|lady|buyer|decision maker)\s+(?:at|from|@)\s+"
    r"(?P<c4>.+?)\s+is\s+(?P<n4>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){1,3})$|"
    # "she is Amara Nwosu from Lagos Fintech", "he's Chidi Okafor"
    r"^(?:she|he)(?:'s|\s+is)\s+(?P<n3>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){1,3}(?:\s+(?:from|at|of|with)\s+.+)?)$|"
    # "thats Pieter de Graaf": capitals required, "that's fine thanks" is no name
    r"^(?:thats|that's|that\s+is|this\s+is)\s+(?P<n5>(?-i:[A-Z][\w'’-]+(?:\s+(?:[A-Z][\w'’-]+"
    r"|de|van|der|da|dos|del|la|le|bin|al|von)){1,3}))$|"
    r"^(?:(?:her|his|their|the|contact's|contacts|lead's|the contact's)\s+)?"
    r"(?:(?:guy|person|lady|woman|man|contact|lead|client|customer)(?:'s|s)\s+)?(?:full\s+)?"
    r"(?:name(?:'s|s)?|contact(?:'s|s)?\s+(?:person(?:'s|s)?\s+)?name(?:'s)?|contact\s+person(?:'s)?"
    r"|contact|person)(?:\s+is|\s*:|\s*=|\s*-)?\s+"
    r"(?P<n>.+)$|^(?:called|named)\s+(?P<n2>.+)$",
    re.I,
)
_COMPANY_LED = re.compile(
    # "she's with Lusitania Foods", "runs Saltbush Coffee Roasters", "company: Sabor Doce"
    r"^(?:(?:she|he|they)(?:'s|\s+is|'re|\s+are|(?=\s+(?:works?|owns|runs)\b))\s+(?:now\s+|also\s+)?)?"
    r"(?:(?:(?:i|we)\s+)?met\s+(?:a|the|this|one)\s+(?:guy|person|lady|woman|man|contact|dude|someone"
    r"|gentleman|buyer)\s+(?:from|at|with)"
    r"|(?:for\s+)?(?:the\s+)?(?:company|co|org|organisation|organization|account|firm|business)"
    r"(?:\s+name)?(?:'s|\s+is|\s*:|\s*=|\s*-)?|works?\s+(?:at|for|in|with|by)|working\s+(?:at|for"
    r"|in|with|by)|employed\s+(?:at|by)|based\s+at|runs|owns|from|at|@|with|of)\s+(?P<c>.+)$",
    re.I,
)
_COMPANY_LAST = re.compile(r"^(?P<c>.+?)\s+is\s+(?:the|her|his|their)\s+company$", re.I)
_AT = re.compile(r"^(?P<head>.+?)\s+(?:at|@|from|of|with)\s+(?P<c>.+)$", re.I)
_AT_LAST = re.compile(r"^(?P<head>.+)\s+(?:at|@)\s+(?P<c>.+)$", re.I)  # "head of HR at X"
# "add mairead.byrne@x.ie to the board, thats Mairead Byrne": the address, then who it is
_ADDRESS_FIRST = re.compile(
    r"^(?P<verb>add|put|create)\s+(?P<e>\S+@\S+?)\s+(?:as\s+(?:a\s+|an\s+)?(?:new\s+)?"
    r"(?:lead|contact|prospect)|(?:to|on|in|into)\s+the\s+(?:board|crm|pipeline|system))\b",
    re.I,
)
_EMAIL_LABEL = re.compile(
    r"^(?:is|=)\s+(?:the|her|his|their)\s+(?:e-?mail|mail|address)(?:\s+address)?$|"
    r"^(?:(?:her|his|their|the|and)\s+)?(?:(?:contact's|contacts|lead's|work|business|office)\s+)?"
    r"(?:e-?mail|mail|email address|e-mail address|email id)?"
    r"(?:\s+(?:is|should be))?\s*[:=-]?\s*$",
    re.I,
)
_PHONE_LABEL = re.compile(
    r"^(?:is|=)\s+(?:the|her|his|their)\s+(?:phone|number|mobile|cell)(?:\s+number)?(?:\s+for)?$|"
    r"^(?:(?:her|his|their|the|and)\s+)?(?:telephone|phone|ph|tel|cell|mobile|mob|number|no|num"
    r"|whatsapp|wa|contact number|contact no|cell phone|mobile number|phone number|direct line"
    r"|landline|office)?\.?(?:\s+(?:number|no\.?|#))?(?:\s+(?:is|should be))?\s*[:=#-]?\s*$",
    re.I,
)
_NUMBER_OF = re.compile(
    r"^(?:is|=)\s+(?:the|her|his|their)\s+(?:phone|number|mobile|cell|direct line)(?:\s+number)?"
    r"\s+(?:for|of)\s+(?P<who>\S.*)$",
    re.I,
)
_MEETING_WHEN = re.compile(
    r"^(?:the\s+|our\s+|a\s+)?(?:demo|meeting|mtg|call|visit|site visit|walkthrough|intro call)"
    r"(?:'s|\s+is|\s+booked|\s+set)?(?:\s+for)?\s+(?:next|this|on|tomorrow|tmrw|today|monday|tuesday"
    r"|wednesday|thursday|friday|mon|tue|tues|wed|thu|thurs|fri)\b[\w\s:.-]{0,30}$",
    re.I,
)
_STAGE_LED = re.compile(
    r"^(?:(?:the\s+)?(?:status|stage|column)(?:\s+(?:is|should be|will be|can be)|\s*:|\s*=|\s*-)?\s+"
    r"|(?:(?:straight|directly|right)\s+)?(?:in|into|under)\s+)"
    r"(?P<s>.+)$",
    re.I,
)
# "so stick her in contacted", "put him straight in proposal sent", "add as contacted".
_MOVE_TO = re.compile(
    r"(?:^|\b(?:so|and|then|pls|please|just)\s+)(?:put|stick|move|add|mark|set|place|drop|chuck"
    r"|pop|throw|file|slot|park|keep)\s+(?:(?:him|her|them|it|this|the lead|this one|that one)\s+)?"
    r"(?:(?:straight|directly|direct|right)\s+)?(?:in\s+as|in|into|to|as|under|at|on)\s+(?:the\s+)?"
    r"(?P<s>.+?)(?:\s+(?:stage|column|status|pls|please|for now|for the moment|for the time being))?$",
    re.I,
)
_ROLE_ONLY = re.compile(
    r"^(?:(?:she|he|they)(?:'s|\s+is|'re|\s+are)\s+)?(?:the|a|an|our|their)?\s*(?P<r>.+)$", re.I
)
_DOES_JOB = re.compile(
    r"^(?:she|he|they)\s+(?:runs|heads|leads|manages|handles|owns|looks after|is in charge of"
    r"|are in charge of|run|head|lead|manage|handle|own|look after)\s+(?P<what>[\w&'’ -]{1,40}?)"
    r"(?:\s+(?:there|over there|for them|at the company))?$",
    re.I,
)
# "just met the dean of education from strathmore university at the conference"
_MET_ROLE_FROM = re.compile(
    r"^(?:(?:i|we)\s+)?(?:just\s+)?met\s+(?:a|an|the|this|one|their)\s+(?P<role>[\w&' -]{2,40}?)\s+"
    r"(?:from|at|with)\s+(?P<c>\S.*)$",
    re.I,
)
# "… larissa.campos@transnordeste.com.br pls add her": the request to create, said last
_ADD_THEM_LAST = re.compile(
    r"(?:^|[\s,.;])(?:(?:pls|please|plz|can you|could you|can u)\s+)?add\s+(?:her|him|them)"
    r"(?:\s+(?:pls|please|in|too|as well|to the board|to the crm|as a lead|as a new lead))*\s*[.!]*$",
    re.I,
)
# "add the logistics director from Frota Sul, …": a create naming a role, not a person
_ADD_ROLE_FROM = re.compile(
    r"^(?:(?:pls|please|kindly|can you|could you|can u)\s+)?add\s+(?=(?:the|a|an|their|this)\s+"
    r"[\w&' -]{2,30}?\s+(?:from|at|@)\s)",
    re.I,
)
# "met Harriet Booth at the retail expo yesterday": who, and where (not stored)
_MET_NAME = re.compile(
    r"^(?:(?:i|we)\s+)?(?:just\s+)?met\s+(?P<n>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){1,2})\s+"
    r"(?:at|during|in)\s+(?:the|a|an|our|this|last)\s+[\w\s'-]{1,40}$"
)
# "runs ops over at TransNordeste Logística": what they run, then the company
_RUNS_AT = re.compile(
    r"^(?:(?:she|he|they)\s+)?(?:runs|heads|leads|manages|handles|looks after)\s+"
    r"[\w&'’ -]{1,25}?\s+(?:over\s+)?(?:at|for|@)\s+(?P<c>\S.*)$",
    re.I,
)
# "wants to redo 3 floors of their HQ": what the lead wants, a remark (not stored)
_WANTS_TO = re.compile(
    r"^(?:(?:she|he|they)\s+)?(?:wants?|needs?|is looking|are looking|looking|hoping|plans?"
    r"|planning)\s+to\s+\S.*$",
    re.I,
)
# "from the Chamber mixer in Cedar Rapids": an event, where the lead was met (not stored)
_MET_AT_EVENT = re.compile(
    r"^(?:(?:i\s+|we\s+)?met\s+(?:him|her|them\s+)?)?(?:from|at|during|after)\s+(?:the|a|an|our|this"
    r"|that|last|yesterday's|today's)\s+[\w\s'&-]{0,40}?\b(?:mixer|expo|conference|event|fair|meetup"
    r"|webinar|trade show|show|summit|networking|breakfast|lunch|dinner|gala|congress|convention"
    r"|seminar|workshop|roadshow|booth|open day|open house)\b(?:\s+(?:in|at)\s+[\w\s'-]{1,40})?$",
    re.I,
)
_WHERE_MET = re.compile(
    r"^(?:(?:i\s+|we\s+)?met\s+(?:him|her|them\s+)?|(?:(?:she|he|they|it)\s+)?(?:just\s+)?"
    r"(?:came\s+in|came\s+through|reached\s+out|found\s+us|signed\s+up|inbound)\s+)?"
    r"(?:from|at|during|after|through|via)\s+(?:the|a|an|our|this"
    r"|that|last|yesterday's|today's)\s+[a-z][a-z\s'-]*$"
)
# Adverbs that sit inside a stage phrase ("meeting already booked", "quotation also sent").
_INSIDE_STAGE = re.compile(r"\b(?:already|also|just|finally|now|too)\b", re.I)
_MOVES_ANOTHER = re.compile(
    r"\b(?:move|put|mark|set|bump|push|change|update|drag|shift)\s+"
    r"(?!(?:him|her|them|it|this|that|the lead|this one|that one|straight|directly|direct)\b)"
    r"(?:[A-Z][\w'’-]*|[a-z][\w'’-]*'s)\b",
)
# A field said to be unknown yet: nothing to store ("No value estimate yet", "no email yet").
_NOT_YET = re.compile(
    r"^(?:there's\s+|there is\s+)?no\s+(?:deal\s+)?(?:value|estimate|value estimate|budget|amount|email"
    r"|phone|number|company)(?:\s+(?:estimate|figure|info))?\s+(?:yet|for now|so far|known)$"
    # "dunno the buyer's name yet": the name is asked for
    r"|^(?:i\s+)?(?:dunno|don't know|dont know|do not know|not sure of|no idea of|need to get|will get"
    r"|haven't got|havent got|don't have|dont have|didn't catch|didnt catch|did not catch|forgot"
    r"|missed|didn't get|didnt get)\s+(?:the|his|her|their)\s+(?:\w+'s\s+)?name"
    r"(?:\s+(?:yet|for now|atm|tho|though|sorry))*$",
    re.I,
)
# The work an amount is for, said before it ("commercial roof ~60k", "full fit-out prob around
# 22k", "35k solar job"): up to four lower-case words, none of a rate, a range or a doubt.
_WORK_BEFORE = re.compile(
    r"(?!.*\b(?:per|a|each|every|month|monthly|year|yearly|annually|week|weekly|hour|hourly|not"
    r"|no|or|to|between|if|maybe|unless|discount|off|down|deposit|paid|owes?|budget)\b)"
    r"[a-z][a-z'’-]*(?:\s+[a-z][a-z'’-]*){0,3}"
)
_SPLIT = re.compile(
    r"\s*(?:,(?!\d{3})|[;|\n]|\s+and\s+(?=(?:the|her|his|their|its|it's|deal|value|e-?mail|phone"
    r"|cell|mobile|status|stage|she|he|they|we|i)\b)"
    r"|(?<=[^\d\s])(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bDr)\.+\s+|\s[-–—]+\s|:\s+|\s+\+\s+|\.{3,}"
    r"|\s*(?:→|->|=>)\s*|(?<=\x00[EP])\s+\.\s+"
    # dictated, no commas: "… wicklow brand studio her email is aoife@…"
    r"|\s+(?=(?:(?:her|his|their|the)\s+)?(?:e-?mail|mail|phone|ph|mobile|mob|cell|tel|number)\b"
    r"[^,\x00]{0,20}\x00[EP]))\s*",
    re.I,
)


@dataclass
class Card:
    """What a free-order create says: its fields and the pieces nothing placed."""

    fields: dict[str, Any] = field(default_factory=dict)
    unplaced: list[str] = field(default_factory=list)
    unsure: bool = False  # a name typed in lower case without saying it is a name
    requested: bool = False  # the message asks for a new lead in so many words
    opening: bool = False  # the piece being read comes right after "new lead"
    answering: bool = False  # the message answers "what is the contact's name?"

    def call(self) -> tuple[str, dict[str, Any]]:
        args = dict(self.fields)
        if self.unplaced or self.unsure:
            args["confirm_first"] = True
        return "create_lead", args


@cache
def _labels() -> frozenset[str]:
    """Field labels that stand alone in a piece (`labels` in `lexicon/create_card.yaml`)."""
    words = str(_yaml("create_card.yaml")["labels"]).lower().split()
    singles = set(words)
    pairs = {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}
    return frozenset(singles | pairs)


@cache
def _words() -> tuple[frozenset[str], frozenset[str], tuple[str, ...]]:
    data = _yaml("create_card.yaml")
    fillers = tuple(sorted((str(w).lower() for w in data["piece_fillers"]), key=len, reverse=True))
    return (
        frozenset(str(data["value_words"]).lower().split()),
        frozenset(str(data["roles"]).lower().split()),
        fillers,
    )


@cache
def _around() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Filler at a piece's start and at its end, compiled once."""
    alternatives = "|".join(re.escape(f) for f in _words()[2])
    return (
        re.compile(rf"^(?:{alternatives})\b[\s,!.:]*", re.I),
        re.compile(rf"[\s,!.:]*\b(?:{alternatives})$", re.I),
    )


def _trim(piece: str) -> str:
    """A piece without the filler words around it ("Ferrante Logistica too" → the company);
    a minus sign before an amount ("-1.5 mil", "- 5k") is kept: the create is refused."""
    leading, trailing = _around()
    previous = None
    while previous != piece:
        previous = piece
        piece = trailing.sub("", leading.sub("", piece).strip()).strip()
        signed = re.match(r"[-−]\s*(?=[$€£]?\s*\d)", piece)
        piece = piece.strip(" .!?:;'\"()-–—")
        if signed and not piece.startswith(("-", "−")):
            piece = f"-{piece}"
    return piece


def _capitalised(words: list[str]) -> bool:
    return bool(words) and all(w[:1].isupper() or w.lower() in NAME_PARTICLES for w in words)


def _company(text: str) -> str | None:
    """A company as written, when the words can be one."""
    company = re.sub(  # "istanbul tekstil at the expo": where they met is no part of it
        r"\s+(?:at|on|in|during|after)\s+(?:the|a|an|our|their|last|this|that)\s+.*$",
        "",
        text.strip(),
        flags=re.I,
    )
    company = _trim(re.sub(r"\s+(?:now|too|also|as well)$", "", company, flags=re.I))
    if company != company.lower():  # "Brown Smiles Dental in austin": the city it is in
        company = re.sub(r"\s+(?:in|near|outside)\s+[a-z][a-z .'-]*$", "", company)
    if not company or not is_company(company) or len(company) > 120:
        return None
    if re.search(r"\s(?:at|@)\s", company):
        return None  # "HR at Halifax Port Authority": a department, then the company
    if company == company.lower() and re.search(
        r"\b(?:in|out|near|on|for|with|from|around|by|to|outside)\b", company
    ):
        return None  # "dental clinic out in parramatta": a description, no company name
    if all(w in glue() for w in re.findall(r"[\w'’]+", company.lower())):
        return None
    return title_case(company) if company == company.lower() else company


def _proper(text: str) -> bool:
    """Words written as a proper name ("Kaito Group", "Bank of America", "AT&T")."""
    small = {"&", "of", "and", "the", "de", "y", "e", "du", "da", "la", "for"}
    words = text.split()
    return (
        bool(words)
        and is_company(text)
        and words[0][:1].isupper()
        and all(w[:1].isupper() or w[:1].isdigit() or w.lower() in small for w in words)
    )


def _is_name(text: str) -> bool:
    """A person's name, and not a job title ("vp ops") nor a company."""
    words = re.findall(r"[\w&'-]+", text.lower())
    roles = _words()[1]
    return (
        is_person_name(text) and not looks_like_company(text) and not all(w in roles for w in words)
    )


class CardReader:
    """Reads a free-order create; `stage(text)` is the pipeline's stage for a phrase."""

    def __init__(self, stage: Callable[[str], str | None]) -> None:
        self.stage = stage

    def read(self, message: str, *, answer: bool = False) -> Card | None:
        """The card a create request describes; None when the message is no create. With
        `answer`, the message answers "what is the contact's name?" (no request needed)."""
        text = _EMOTICON.sub(" , ", _EMOJI.sub(" , ", message)).replace("’", "'")
        text = " ".join(text.split())
        asked_how = False
        if text and _ASKS_HOW.match(text):
            # "how do i add a lead? met a guy from istanbul tekstil, their email is …": the
            # question, then the lead it is about
            question, mark, rest = text.partition("?")
            if not (mark and rest.strip() and _TRIGGER.search(question)):
                return None
            text, asked_how = rest.strip(), True
        if not text:
            return None
        text = _ADDRESS_FIRST.sub(r"\g<verb> a new lead, \g<e>", text)
        trigger = (
            _TRIGGER.search(text)
            or _VERB_FIRST.match(text)
            or _ADD_ROLE_FROM.match(text)
            or _ADD_THEM_LAST.search(text)
        )
        if trigger:
            text = f"{text[: trigger.start()]} , {text[trigger.end() :]}"
        card = Card(requested=bool(trigger) or asked_how, answering=answer)
        emails = {e.lower() for e in EMAIL.findall(text)}
        if len(emails) > 1:
            return None
        marked = EMAIL.sub(" \x00E ", text)
        marked = PHONE.sub(" \x00P ", marked)
        # "Vikram Nair (vikram@tatvasoft.in) at Tatva Soft": a bracketed detail is a piece
        marked = re.sub(r"\(\s*(\x00[EP])\s*\)", r", \1 ,", marked)
        phones = [p.strip() for p in PHONE.findall(EMAIL.sub(" ", text))]
        if len(set(phones)) > 1:
            return None
        if emails:
            card.fields["email"] = emails.pop()
        if phones:
            card.fields["phone"] = " ".join(phones[0].split())
        opens = bool(trigger) and not _trim(text[: trigger.start()])
        first = True
        for piece in _SPLIT.split(marked):
            card.opening = opens and first and "name" not in card.fields
            first = first and not _trim(piece)  # the first piece with words in it
            self._place(_trim(piece), card)
        card.opening = False
        named = "name" in card.fields
        if not trigger and not answer and not asked_how:
            # no request to create: only a name said to be one, with details around it
            details = {"company", "email", "phone", "value"} & set(card.fields)
            labelled = (
                card.fields.get("_labelled")
                or _MET_ROLE_FROM.match(text)
                or re.match(r"^(?:(?:i|we)\s+)?(?:just\s+)?met\s+[A-Z]", text)
            )
            if not (named and labelled and len(details) >= 2):
                return None  # ("just met the dean of … from …, grace njeri, …": a lead met)
        if answer and not named:
            return None
        card.fields.pop("_labelled", None)
        card.fields.pop("_weak_company", None)
        if card.fields.pop("_conflict", False):
            return None
        return card

    # -- one piece ---------------------------------------------------------------------------

    def _place(self, piece: str, card: Card) -> None:
        if not piece or all(w in glue() for w in re.findall(r"[\w'’]+", piece.lower())):
            return
        if piece.lower() in _labels() or _NOT_YET.match(piece):
            return  # "name:" before "Mei-Ling Chou": a label; "no value estimate yet": nothing
        if _WHERE_MET.match(piece) or _MET_AT_EVENT.match(piece):
            return  # "from the expo": where the lead was met, nothing to store
        if "\x00E" in piece:
            rest = piece.replace("\x00E", " ")
            if _EMAIL_LABEL.match(" ".join(rest.split())):
                return
            piece = _trim(rest)  # "Aisha Bello aisha@x.com": the rest is read on
            if not piece:
                return
        if "\x00P" in piece:
            rest = piece.replace("\x00P", " ")
            if _PHONE_LABEL.match(" ".join(rest.split())):
                return
            owner = _NUMBER_OF.match(" ".join(rest.split()))
            if owner:  # "+55 11 98765-4321 is the cell for Thiago Santos"
                rest = owner.group("who")
            piece = _trim(rest)
            if not piece:
                return
        if piece.lower() in _labels():
            return  # "… 604-555-0178. deal: 120k": the next value's label
        role = _ROLE_ONLY.match(piece)
        if role and all(w in _words()[1] for w in re.findall(r"[\w&'-]+", role.group("r").lower())):
            return  # "she's the owner", "he's head of ops": a job title, not stored
        job = _DOES_JOB.match(piece)
        if job and not (
            _proper(job.group("what")) and job.group("what") == piece[job.start("what") :]
        ):
            return  # "he runs L&D there": what they do, not stored ("she runs Larsen Physio": a company)
        met = _MET_NAME.match(piece)
        if met:  # "met Harriet Booth at the retail expo yesterday"
            self._set(card, "name", met.group("n"))
            return
        if _WANTS_TO.match(piece):
            return
        piece = re.sub(r"\s*\([^)]*\)?\s*$", "", piece) or piece  # "Booth & Co (14 shops …)"
        when = _MEETING_WHEN.match(piece)
        if when:  # "demo's next tue": the meeting is booked; when it is, is not stored
            if "status" not in card.fields:
                self._set(card, "status", self.stage("Meeting booked") or "Meeting booked")
            return
        for reader in (self._value, self._stage, self._name, self._company_piece):
            if reader(piece, card):
                return
        card.unplaced.append(piece)

    def _set(self, card: Card, key: str, value: Any) -> None:
        if key in card.fields and card.fields[key] != value:
            card.fields["_conflict"] = True
        card.fields[key] = value

    def _value(self, piece: str, card: Card) -> bool:
        spelled = spell_numbers(piece)
        # "deal is 60k for 2 ventilators": what the amount buys is no second amount
        spelled = re.sub(
            r"(?<=[\dkKmM])\s+for\s+(?:\d+\s+|a\s+|an\s+|the\s+)?[a-z][a-z\s'-]{0,40}$", "", spelled
        )
        amounts = list(MONEY.finditer(spelled))
        if len(amounts) != 1 or RANGE.search(spelled):
            return False
        match = amounts[0]
        before = re.sub(r"(?:^|\s)(?:[-−]|minus|negative)\s*$", " ", spelled[: match.start()])
        rest = (before + " " + spelled[match.end() :]).lower()  # the sign is no word
        words = re.findall(r"[\w'’~.-]+|~", rest)
        value_words = _words()[0]
        raw = match.group(0)
        has_unit = bool(match.group("u")) or bool(re.search(r"[$€£]|usd|dollar|bucks", raw, re.I))
        others = [w for w in words if w.strip(".") not in value_words]
        if others and not _WORK_BEFORE.fullmatch(" ".join(others)):
            return False
        if others and not (has_unit or "," in match.group("n")):
            return False  # "commercial roof ~60k": the work, then a marked amount
        said = bool(set(words) & {"deal", "deal's", "value", "worth", "opp", "budget", "potential"})
        value = parse_money(spelled)
        if value is None or not (has_unit or said or "," in match.group("n")):
            return False
        self._set(card, "value", value)
        return True

    def _stage(self, piece: str, card: Card) -> bool:
        labelled = _LABELLED_NAME.match(piece)
        if labelled and labelled.group("c4"):
            return False  # "contact at St Brendan's College is Pieter Botha": who, not a stage
        moved = _MOVE_TO.search(piece)
        if moved and self.stage(moved.group("s")):
            self._set(card, "status", self.stage(moved.group("s")))
            return True  # what came before "so" is the reason: nothing to store
        led = _STAGE_LED.match(piece)
        if led and self.stage(led.group("s")):
            self._set(card, "status", self.stage(led.group("s")))
            return True
        because = (
            re.match(r"^(?P<s>.+?)\s+(?:since|as|because|cos|coz|cause)\s+\S", led.group("s"))
            if led
            else None
        )
        if because and self.stage(because.group("s")):
            # "status should be Meeting booked since we already have an intro call …"
            self._set(card, "status", self.stage(because.group("s")))
            return True
        bare = " ".join(_INSIDE_STAGE.sub(" ", piece).split())
        if self.stage(bare):
            self._set(card, "status", self.stage(bare))
            return True
        named = {s for s in stages_named(bare) if self.stage(s)}
        if _MOVES_ANOTHER.search(piece):
            return False  # "…, and move Sarah Lee to Contacted": another lead's move
        if len(named) == 1 and not is_person_name(piece):
            self._set(card, "status", self.stage(named.pop()))
            return True
        return False

    def _name(self, piece: str, card: Card) -> bool:
        labelled = _LABELLED_NAME.match(piece)
        if labelled:
            name = _trim(
                labelled.group("n")
                or labelled.group("n2")
                or labelled.group("n3")
                or labelled.group("n4")
                or labelled.group("n5")
            )
            head, company = self._name_at(name)
            if head and labelled.group("c4") and not company:
                company = _company(labelled.group("c4"))
            if head:
                earlier = card.fields.get("name")
                if earlier and not card.fields.get("_labelled") and "company" not in card.fields:
                    # "Herrera Logística, el contacto es Mateo Herrera": the piece first read
                    # as a name was the company, when it can be one
                    if is_company(earlier) and earlier != title_case(head):
                        card.fields.pop("name")
                        self._set(card, "company", earlier)
                self._set(card, "name", title_case(head))
                card.fields["_labelled"] = True
                if company:
                    self._set(card, "company", company)
                return True
            return False
        head, company = self._name_at(piece)
        if head and not company and "name" in card.fields and "company" not in card.fields:
            company = _company(head)  # "Kelechi Nwosu, Owerri Paints": name, then company
            if company:
                self._set(card, "company", company)
                return True
        if (
            head
            and not company
            and (card.answering or _in_address(head, card.fields.get("email")))
            and "name" not in card.fields
            and head == head.lower()
            and 2 <= len(head.split()) <= 3
        ):
            # (or the name the address is made of: "grace njeri, grace.njeri@strathmore.edu")
            # the name the question asked for, typed in lower case: "siobhan o'connell"
            self._set(card, "name", title_case(head))
            return True
        if not head or not _capitalised(head.split()):
            if (
                head
                and head == head.lower()
                and 2 <= len(head.split()) <= 3
                and (company or card.opening)
            ):
                # "haruka sato from mizuho": a name typed in lower case is asked about, unless
                # it is what the request opens with ("new lead aoife gallagher from wicklow
                # brand studio …", as dictated) or answers the question for the name
                card.unsure = card.unsure or not (card.opening or card.answering)
                self._set(card, "name", title_case(head))
                if company:
                    self._set(card, "company", company)
                return True
            return False
        self._set(card, "name", head)
        if company:
            self._set(card, "company", company)
        return True

    @staticmethod
    def _name_at(text: str) -> tuple[str | None, str | None]:
        """("Valentina Rojas", "Textiles Andinos") for "Valentina Rojas from Textiles Andinos";
        (name, None) for a bare name; (None, None) when `text` is no name. A title ("Mr.
        Mikko Laine") is no part of the name."""
        text = TITLE.sub("", text)
        if _is_name(text):
            return text, None
        at = _AT.match(text)
        if at and _is_name(at.group("head")):
            company = _company(at.group("c"))
            if company:
                return at.group("head"), company
        return None, None

    def _company_piece(self, piece: str, card: Card) -> bool:
        runs = _RUNS_AT.match(piece)
        if runs and _company(runs.group("c")):
            self._set(card, "company", _company(runs.group("c")))
            return True
        met = _MET_ROLE_FROM.match(piece)
        if met and _is_role(met.group("role")):
            company = _company(met.group("c"))
            if company:
                self._set(card, "company", company)
                return True
        led = _COMPANY_LED.match(piece) or _COMPANY_LAST.match(piece)
        if led:
            if re.match(r"(?:the|a|an|my|our|this|that|their|his|her)\s", led.group("c"), re.I):
                return False  # "from the expo": where, not who
            company = _company(led.group("c"))
            if company:
                self._set(card, "company", company)
                if led.group("c").islower() and len(company.split()) == 1:
                    card.fields["_weak_company"] = piece  # "from dhaka": a city, maybe
                return True
            return False
        at = _AT_LAST.match(piece)
        if not (at and _is_role(at.group("head"))):
            at = _AT.match(piece)  # "cto @ Tunde Systems", "vp ops at Ferrante Logistica"
        if at and _is_role(at.group("head")):
            company = _company(at.group("c"))
            if company:
                self._set(card, "company", company)
                return True
        weak = card.fields.get("_weak_company")
        if _proper(piece) and looks_like_company(piece) and ("company" not in card.fields or weak):
            if weak:  # "from dhaka pls - Meghna Foods": the company is the one written as one
                card.fields.pop("_weak_company")
                card.fields.pop("company")
                card.unplaced.append(weak)
            self._set(card, "company", piece)  # "Kaito Group", "Bayanihan Foods Inc"
            return True
        return False


# The last word of a job title whatever comes before it ("warehouse mgr", "events planner").
_ROLE_NOUNS = frozenset(
    "mgr manager director head lead officer coordinator supervisor owner buyer planner engineer"
    " administrator chief boss gm md ceo cto cfo coo vp specialist analyst assistant dean"
    " principal".split()
)


def _is_role(text: str) -> bool:
    """A job title: every word a role word, "head of X", or up to four words ending in a
    role noun."""
    words = re.findall(r"[\w&'-]+", text.lower())
    roles = _words()[1]
    if words and all(w in roles for w in words):
        return True
    if re.fullmatch(
        r"(?:the\s+)?(?:head|director|vp|dean|chief|manager|lead|coordinator|principal"
        r"|president)\s+of\s+[\w&' -]{2,30}",
        text.strip(),
        re.I,
    ):
        return True  # "head of curriculum", "dean of education"
    return 2 <= len(words) <= 4 and words[-1] in _ROLE_NOUNS


def _in_address(name: str, email: Any) -> bool:
    """Every word of a name typed in lower case is in the e-mail's local part
    ("grace njeri" and grace.njeri@strathmore.edu): the address says it is the name."""
    if not isinstance(email, str) or "@" not in email:
        return False
    local = re.sub(r"[^a-z]", "", email.split("@", 1)[0].lower())
    words = [re.sub(r"[^a-z]", "", w) for w in name.lower().split()]
    return len(words) >= 2 and all(len(w) >= 2 and w in local for w in words)


def _trimmer(fields: dict[str, Any], grammar: dict[str, Any]) -> bool:
    """The card holds the grammar's fields, one of them cut shorter ("Hôpital Saint-Louis"
    where the grammar kept "… for 3 ultrasound units. dunno the buyer's name yet")."""
    keys = set(grammar) - {"confirm_first"}
    if not keys or not keys <= set(fields):
        return False
    texts = [k for k in keys if isinstance(grammar[k], str) and isinstance(fields[k], str)]
    return all(fields[k] == grammar[k] for k in keys - set(texts)) and any(
        fields[k] != grammar[k] and grammar[k].startswith(fields[k]) for k in texts
    )


def _untyped_name(name: str, message: str) -> bool:
    """A one-word name the message has only in lower case: a word of the sentence."""
    return (
        len(name.split()) == 1
        and not re.search(rf"(?<!\w){re.escape(name)}(?!\w)", message)
        and bool(re.search(rf"(?<!\w){re.escape(name.lower())}(?!\w)", message))
    )


@cache
def reader_for(stages: tuple[str, ...]) -> CardReader:
    """A card reader for a pipeline's stages (the parser is imported here: it imports the
    grammar modules, this one among them)."""
    from agent_service.graph.models.commands import CommandParser

    return CardReader(CommandParser(stages).stage)


def wins_over(card: Card, calls: list[tuple[str, dict[str, Any]]], message: str = "") -> bool:
    """True when the card's reading of a create beats the grammar's calls: the grammar found
    no create, or a create it is unsure of (or with fewer fields) where the card is sure, or
    whose name is a word of the sentence ("… around 12k USD" read as a lead 'Around')."""
    creates = [args for name, args in calls if name == "create_lead"]
    sure = not card.unplaced and not card.unsure
    if (
        len(creates) == 1
        and len(calls) == 1
        and creates[0].get("confirm_first")
        and card.requested
        and "name" not in card.fields
        and _untyped_name(str(creates[0].get("name") or ""), message)
    ):
        return True
    if not creates:  # the grammar read something else: only a sure, named card beats it
        details = {"company", "email", "phone", "value"} & set(card.fields)
        if card.requested and card.fields.get("name") and details:
            # "…a new opportunity… her name is Nicole Santos": asked for in so many words,
            # a named lead with details is a create (shown first when unsure), never an
            # update of another lead the grammar thought it saw
            return True
        if card.requested and not card.fields.get("name"):
            # "new warm lead from Sunridge Dental, …": nothing is written before the name is
            # given, so a create asked for in so many words beats a look-up, or an update
            # of "them" ("how do i add a lead? met a guy …, their email is …")
            return all(
                name == "find_leads"
                or str(args.get("lead", "")).lower()
                in {"them", "him", "her", "they", "it", "that lead", ""}
                for name, args in calls
            )
        return not calls or (sure and bool(card.fields.get("name")))
    nameless = [args for args in creates if not args.get("name")]
    if (
        nameless
        and "name" not in card.fields
        and card.requested
        and (
            set(nameless[0]) - {"confirm_first"} < set(card.fields)
            or _trimmer(card.fields, nameless[0])
        )
        and (len(calls) == 1 or len(set(card.fields) & {"company", "email", "phone", "value"}) >= 2)
    ):
        # both ask for the name; the card shows more of what the user gave (and the
        # grammar's other calls were pieces of it: "… Ltd. Email is …" read as a look-up)
        return True
    if len(creates) != 1 or not sure:
        return False
    grammar = creates[0]
    _, args = card.call()
    if len(calls) != 1:
        # "…from Hollis & Co, ben@…" read as a create and an update of 'Co': the card placed
        # every piece of the message in one lead, so the other calls are misreadings
        # (also when the grammar's own create was unsure of its name: "that's Mairead Byrne")
        return bool(args.get("name")) and (
            args.get("name") == grammar.get("name") or bool(grammar.get("confirm_first"))
        )
    if grammar.get("confirm_first") or not grammar.get("name"):
        # the grammar's name is unsure ("Roughly" from "roughly 30k"): the card's reading,
        # with or without a name, places everything
        return set(grammar) - {"confirm_first", "name"} <= set(args)
    return set(grammar) - {"confirm_first"} < set(args)
