"""ask: pauses the thread on the pending question and reads the user's answer.

Uses `interrupt()`, so LangGraph Studio shows the pause and `Command(resume=answer)` resumes.
Reads: `pending`, `queue[0]`. The answer picks a candidate (by name, company, email, number or
ordinal) or says yes/no to a confirmation (a delete, or a create/update the agent was unsure
of: "Create lead 'Aisha Bello' (Meridian Solar)? Reply yes or correct me"), or gives the
name a create lacked ("Create a lead at Stripe — what is the contact's name?" → "oh sorry
it's Amara Obi": the create goes on with that name); anything else is a new request (a
correction): the question is dropped and the message goes to the router.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from langchain_core.messages import HumanMessage
from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt

from agent_service.errors import LeadNotFound
from agent_service.graph.context import Context, get_context
from agent_service.graph.models.grammar.anchored import stages_named
from agent_service.graph.models.grammar.create_card import reader_for
from agent_service.graph.models.grammar.normalize import in_english
from agent_service.graph.models.grammar.recognizers import (
    EMAIL,
    NAME_PARTICLES,
    PHONE,
    as_typed,
    is_person_name,
)
from agent_service.graph.nodes.lead_matcher import clean_reference, pick
from agent_service.graph.state import Outcome, State
from agent_service.leads.matching import normalize, rank
from agent_service.leads.store import LeadStore

YES = {
    "y",
    "yes",
    "yeah",
    "yep",
    "yup",
    "sure",
    "confirm",
    "confirmed",
    "ok",
    "okay",
    "go ahead",
    "do it",
    "yes please",
    "please do",
    "delete it",
    "yes delete it",
    "yes do it",
    "correct",
    "absolutely",
    # a yes in the team's own languages
    "sí",
    "si",
    "ja",
    "oui",
    "sim",
    "tak",
    "evet",
    "haan",
    "hai",
    "ano",
    "da",
    "jawohl",
    "claro",
}
# Answers that confirm only a create ("There is already Sarah Lee — add another?").
CREATE_YES = {
    "add another",
    "add another one",
    "add it",
    "add anyway",
    "add it anyway",
    "add a new one",
    "create it",
    "create anyway",
    "create it anyway",
    "yes add it",
    "yes create it",
    "another one",
    "a new one",
    "new one",
    "save it",
    "yes save it",
    "looks good",
    "that's right",
    "thats right",
    "keep both",
    "both",
}
NO = {
    "n",
    "no",
    "nope",
    "nah",
    "cancel",
    "stop",
    "dont",
    "don't",
    "do not",
    "never mind",
    "nevermind",
    "keep it",
    "no thanks",
    "no thank you",
    "abort",
    "no dont",
    "no don't",
    "leave it",
    "not now",
    "actually no",
    "no actually",
    "wait no",
    "no wait",
    "on second thought no",
    "hmm no",
}
ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "fifth": 5,
    "5th": 5,
}
_NUMBER = re.compile(r"^(?:#|no\.?\s*|number\s+|option\s+)?(\d{1,2})[.)]?$")
_PICK_FILLER = re.compile(
    r"^(i mean|i meant|the one (at|from|with|in|called|named)|the one|one (at|from)|"
    r"from|at|with|the|it's|its|it is)\s+"
)


def _answer_key(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s'#.@+\-]", " ", text.lower()).split()).rstrip(".")


# Words that may follow a yes or a no without changing it ("yes, delete it", "no, keep it").
_YES_TAIL = {
    "pls",
    "plz",
    "ty",
    "thx",
    "ta",
    "cheers",
    "mate",
    "boss",
    "thanks a lot",
    "go for it",
    "proceed",
    "yes",
    "please",
    "thanks",
    "thank you",
    "delete it",
    "delete",
    "go ahead",
    "do it",
    "sure",
}
# The node that carries out a confirmed operation, and how a refusal is reported.
CONFIRMED_NODE = {"delete_lead": "delete", "create_lead": "create", "update_lead": "update"}
CANCELLED = {
    "delete_lead": "Deletion of lead '{name}' cancelled.",
    "create_lead": "Lead '{name}' was not created.",
    "update_lead": "Lead '{name}' was not changed.",
}
_NO_TAIL = {
    "keep her",
    "keep him",
    "keep them",
    "keep it",
    "keep",
    "dont delete",
    "don't delete",
    "don't delete it",
    "dont delete it",
    "do not delete",
    "do not delete it",
    "leave it",
    "thanks",
    "forget it",
    "cancel",
    "cancel that",
    "i changed my mind",
    "changed my mind",
    "wait",
    "not yet",
    "actually",
    "on second thought",
}


_FILLER = re.compile(r"^(?:(?:hmm+|oh|ah|um+|uh+|well|wait|ok|okay|so)\s+)+")


# A reason after the no: "she might come back next year", "he's still deciding".
_REASON_AFTER_NO = re.compile(
    r"^(?:she|he|they|it|we|i|she's|he's|they're|it's|we're|i'm|shes|hes|because|since|cause"
    r"|cos|coz)\b[^@\d]*$"
)


def _segments(text: str) -> list[str]:
    """The answer's parts, without filler words ("hmm on second thought, don't")."""
    parts = (_answer_key(part) for part in re.split(r"[,.!;]+|\s+-\s+", text) if part.strip())
    return [key for key in (_FILLER.sub("", part) for part in parts) if key]


def is_yes(text: str) -> bool:
    """ "yes", "Yes, delete it", "sure, go ahead", "yep go ahead", "yes pls 👍": a plain
    confirmation, nothing else."""
    if _answer_key(text) in YES:
        return True
    parts = _segments(text)
    if not parts or not _only_yes(parts[0].split(), first=True):
        return False
    return all(_only_yes(part.split(), first=False) for part in parts[1:])


def _only_yes(words: list[str], first: bool) -> bool:
    """True when `words` are yes-words and polite tails only (and start with a yes-word when
    `first`)."""
    i, said_yes = 0, not first
    while i < len(words):
        for size in (3, 2, 1):
            phrase = " ".join(words[i : i + size])
            if len(words) - i >= size and phrase in YES:
                said_yes, i = True, i + size
                break
            if len(words) - i >= size and said_yes and phrase in _YES_TAIL:
                i += size
                break
        else:
            return False
    return said_yes


# "it's a different alex", "they're different people": why another lead is wanted.
_DIFFERENT = re.compile(
    r"^(?:(?:it's|its|it is|that's|thats|this is|they're|theyre|they are|he's|she's)\s+)?"
    r"(?:a\s+|an\s+)?(?:different|another|separate|new|other)(?:\s+[\w'-]+){0,2}$"
)


# Words that make a remark after "yes" more than a reason: a refusal, a doubt, another request.
_NOT_A_REASON = {"no", "not", "dont", "don't", "cancel", "stop", "wait", "but", "instead"}
_NOT_A_REASON |= {"actually", "update", "change", "set", "move", "delete", "remove", "rename"}
_NOT_A_REASON |= {"edit", "fix", "put", "mark", "undo", "never", "nope", "nah", "hold", "same"}
_NOT_A_REASON |= {"merge", "existing", "replace", "duplicate", "email", "phone", "value"}
_NOT_A_REASON |= {"company", "name", "stage", "status", "old", "only", "just", "or", "unless"}


def _reason(part: str) -> bool:
    """ "they share the generic inbox": why the user wants it, asking for nothing else."""
    words = part.split()
    return (
        0 < len(words) <= 12
        and not re.search(r"[\d@]", part)
        and not any(w.strip("'") in _NOT_A_REASON for w in words)
    )


def is_create_yes(text: str) -> bool:
    """ "yes it's a different alex, add it anyway", "yes go ahead, they share the generic
    inbox": a create confirmed, with a reason."""
    parts = []
    for part in _segments(text):
        head, _, rest = part.partition(" ")
        parts.extend([head, rest] if head in YES and rest else [part])  # "yes it's a different…"
    allowed = YES | CREATE_YES | _YES_TAIL
    if not parts or parts[0] not in YES | CREATE_YES:
        return (
            bool(parts)
            and any(p in YES | CREATE_YES for p in parts)
            and all(p in allowed or _DIFFERENT.match(p) for p in parts)
        )
    return all(p in allowed or _DIFFERENT.match(p) or _reason(p) for p in parts)


def is_no(text: str) -> bool:
    """ "no", "never mind, keep it", "actually no": a refusal, nothing else."""
    if _answer_key(text) in NO or _answer_key(text) in _NO_TAIL - {"actually", "wait"}:
        return True
    parts = _segments(text)
    if not parts or not any(p in NO for p in parts):
        return False
    # "hmm actually no, keep her. she might come back next year": a reason may follow
    first_other = next((i for i, p in enumerate(parts) if p not in NO | _NO_TAIL), len(parts))
    rest = parts[first_other:]
    return first_other > 0 and all(_REASON_AFTER_NO.match(p) for p in rest)


_IN_STAGE = re.compile(
    r"^(?:the\s+)?(?:one\s+|lead\s+)?(?:(?:that's|that is|who's|who is|which is)\s+)?"
    r"(?:in|at|from)\s+(?:the\s+)?(?P<s>.+?)(?:\s+(?:stage|column))?$"
    # "the contacted one", "the proposal sent guy"
    r"|^(?:the\s+)?(?P<s2>.+?)\s+(?:one|lead|guy|person|contact)$"
)


def _pick_by_stage(key: str, choices: list[dict[str, str]], store: LeadStore) -> str | None:
    """ "the one in Proposal sent": the only candidate in that stage."""
    match = _IN_STAGE.match(key)
    stage = store.pipeline.resolve(match.group("s") or match.group("s2")) if match else None
    if stage is None:
        # "the one in proposal sent obviously lol", "the one we sent the proposal to obv"
        named = {found for found in stages_named(key) if store.pipeline.find(found)}
        stage = store.pipeline.find(named.pop()) if len(named) == 1 else None
    if stage is None:
        return None
    found = []
    for choice in choices:
        try:
            if store.get(choice["lead_id"]).status == stage:
                found.append(choice["lead_id"])
        except LeadNotFound:
            continue
    return found[0] if len(found) == 1 else None


def pick_choice(text: str, choices: list[dict[str, str]], store: LeadStore) -> str | None:
    """The lead id the answer picks among `choices`, or None."""
    key = _answer_key(text)
    number = _NUMBER.match(key)
    words = key.split()
    index = None
    if number:
        index = int(number.group(1))
    elif key in {"last", "the last one", "last one"}:
        index = len(choices)
    else:
        for word in words[:3]:
            if word in ORDINALS:
                index = ORDINALS[word]
    if index is not None:
        return choices[index - 1]["lead_id"] if 1 <= index <= len(choices) else None
    by_stage = _pick_by_stage(key, choices, store)
    if by_stage:
        return by_stage
    reference = key
    previous = None
    while previous != reference:
        previous = reference
        reference = _PICK_FILLER.sub("", reference)
    reference = clean_reference(reference)
    if not normalize(reference):
        return None
    leads = []
    for choice in choices:
        try:
            leads.append(store.get(choice["lead_id"]))
        except LeadNotFound:
            continue
    lead, _ = pick(reference, rank(reference, leads, limit=len(leads)))
    return lead.id if lead else None


def answer_text(answer: Any) -> str:
    """The user's answer from a resume value: a plain string (the service), or a structured
    value as LangGraph Studio sends it (`{"answer": "yes"}`, `{"message": …}`, `{"text": …}`)."""
    if isinstance(answer, dict):
        for key in ("answer", "message", "text", "content"):
            if isinstance(answer.get(key), str):
                return answer[key].strip()
        return ""
    return str(answer).strip()


# Words before the name in an answer to "what is the contact's name?": filler ("oh sorry"),
# then an introduction ("it's", "her name is", "contact's name is", "call him").
_NAME_FILLER = re.compile(
    r"^(?:(?:oh|ah|um+|uh+|hmm+|ok|okay|right|yes|yeah|yep|sure|sorry|oops|whoops|my bad|well"
    r"|so|haha|lol|ah right|of course|just got it|got it|found it|here it is|here you go)\b[\s,!.:;-]*)+",
    re.I,
)
_NAME_INTRO = re.compile(
    r"^(?:(?:it's|its|it is|that's|thats|that is|this is|he's|hes|he is|she's|shes|she is"
    r"|they're|theyre|they are|the contact is|contact is|the contact person is|the person is"
    r"|(?:the\s+)?contact\s+(?:there|over there|person there)\s+is|(?:the\s+)?person\s+there\s+is"
    r"|(?:the\s+)?(?:owner|manager|boss|buyer|director|founder|ceo)(?:\s+there)?\s+is)\s+"
    r"|(?:it's\s+|its\s+)?for\s+(?=[A-Z]))",
    re.I,
)
_NAME_MARKER = re.compile(
    r"^(?:(?:the|her|his|their|the contact's|contact's|contacts|the contacts|the lead's|lead's"
    r"|the person's|person's|my contact's|our contact's)\s+)?(?:full\s+)?name(?:'s|s)?"
    r"(?:\s+(?:is|should be|will be|=)|\s*:|\s*-)?\s+"
    r"|^(?:call|name)\s+(?:him|her|them|it)\s+|^(?:put|save|add)\s+(?:it|him|her|them)\s+"
    r"(?:under|as)\s+|^(?:named|called)\s+",
    re.I,
)
_NAME_TAIL = re.compile(
    r"(?:[\s,!.:;-]+(?:thanks|thank you|thx|please|pls|sorry|my bad|lol|cheers|oops))+$|[\s,!.;:]+$",
    re.I,
)
# Answers that can look like a one-word name but are requests or non-answers.
NOT_A_NAME = {"undo", "help", "what", "who", "why", "how", "where", "when", "show", "list"}
NOT_A_NAME |= {"find", "skip", "whatever", "nobody", "anonymous", "unknown", "tbd", "idk"}
NOT_A_NAME |= {"dunno", "hmm", "huh", "nothing", "none", "someone", "anyone", "cancel"}


def _capitalised(words: list[str]) -> bool:
    return words[0][:1].isupper() and all(
        w[:1].isupper() or w.lower() in NAME_PARTICLES for w in words[1:]
    )


def name_answer(text: str) -> tuple[str, bool] | None:
    """The name an answer to "what is the contact's name?" gives, and whether it is sure:
    ("Amara Obi", True) for "oh sorry its Amara Obi", "contact's name is Pieter Jansen",
    "name's pieter jansen"; ("Amara Obi", False) for a bare "amara obi" (typed in lower case
    without saying it is the name: asked about before the create); None when the answer is
    no name ("show me the Won deals", "undo")."""
    rest = " ".join(text.replace("’", "'").split()).strip()
    rest = _NAME_TAIL.sub("", rest)
    marked = False
    previous = None
    while previous != rest:
        previous = rest
        rest = _NAME_FILLER.sub("", rest).strip()
        if _NAME_MARKER.match(rest):
            rest, marked = _NAME_MARKER.sub("", rest, count=1).strip(), True
        rest = _NAME_INTRO.sub("", rest, count=1).strip()
        rest = _NAME_TAIL.sub("", rest).strip()
    words = rest.split()
    if not words or not is_person_name(rest):
        return None
    if any(w.lower().strip(".") in NOT_A_NAME for w in words):
        return None
    if _capitalised(words):
        return rest, True
    if rest != rest.lower():
        return None  # "amara Obi": mixed case, not clearly a name as typed
    titled = " ".join(
        w if w in NAME_PARTICLES and i else w[:1].upper() + w[1:] for i, w in enumerate(words)
    )
    if marked:
        return titled, True
    return (titled, False) if len(words) >= 2 else None


def name_and_details(text: str) -> tuple[str, bool, dict[str, str]] | None:
    """ "Amara Obi, amara@helios.com": the name, and the email or phone given with it."""
    named = name_answer(text)
    if named:
        return (*named, {})
    head, *tails = [part.strip() for part in re.split(r",\s*|\s+[-—–]\s+", text) if part.strip()]
    details: dict[str, str] = {}
    for tail in tails:
        if EMAIL.fullmatch(tail) and "email" not in details:
            details["email"] = tail.lower()
        elif PHONE.fullmatch(tail) and "phone" not in details:
            details["phone"] = tail
        else:
            return None
    named = name_answer(head) if details else None
    return (*named, details) if named else None


def card_answer(text: str, stages: tuple[str, ...]) -> tuple[str, bool, dict[str, Any]] | None:
    """ "oh duh, Haruka Sato from Mizuho Robotics", "Kelechi Nwosu, Owerri Paints": a name
    with details in free order (`grammar/create_card.py`); sure only when every piece of the
    answer was placed."""
    text = _NAME_FILLER.sub("", " ".join(text.replace("’", "'").split())).strip()
    text = _NAME_INTRO.sub("", text, count=1)  # "its Keanu Makoa from Makoa Orthodontics"
    card = reader_for(stages).read(text, answer=True)
    if card is None or not card.fields.get("name"):
        return None
    details = {k: v for k, v in card.fields.items() if k != "name"}
    return str(card.fields["name"]), not (card.unplaced or card.unsure), details


def _nameless_create(op: dict[str, Any] | None, pending: dict[str, Any]) -> bool:
    """The pending question asks for the name of a new lead."""
    return (
        op is not None
        and pending["needs"] in {"confirmation", "clarification"}
        and op["tool"] == "create_lead"
        and not (op.get("args") or {}).get("name")
    )


def _subject(op: dict[str, Any], store: LeadStore) -> str:
    """The name of the lead a confirmation was about."""
    if op["tool"] == "create_lead":
        return str(op["args"].get("name") or "the new lead")
    try:
        return store.get(op["lead_id"]).name
    except (LeadNotFound, KeyError):
        return "that lead"


def ask(
    state: State, runtime: Runtime[Context]
) -> Command[Literal["router", "lead_matcher", "delete", "create", "update", "respond"]]:
    """Wait for the answer to `pending`, then continue, cancel, or start over."""
    pending = state["pending"]
    answer = interrupt(
        {
            "needs": pending["needs"],
            "question": pending["question"],
            "choices": pending.get("choices", []),
        }
    )
    text = answer_text(answer)
    store = get_context(runtime).store
    queue = list(state.get("queue", []))
    update: dict[str, Any] = {"messages": [HumanMessage(text)], "results": [], "pending": None}
    op = queue[0] if queue else None
    if op is not None and _nameless_create(op, pending) and not is_no(text):
        typed = in_english(as_typed(text))  # "el contacto es Julián Ortega", dictated too
        named = name_and_details(typed) or card_answer(typed, store.pipeline.stages)
        if named:  # "oh sorry its Amara Obi": the create goes on, checked again, with the name
            name, sure, details = named
            # the question showed every detail that would be stored, so the answer accepts
            # them: only the answer itself may still need a confirmation
            shown = {k: v for k, v in op["args"].items() if k != "confirm_first"}
            args = {**shown, **details, "name": name}
            if not sure:
                args["confirm_first"] = True
            retry = {**op, "args": args, "confirmed": False}
            return Command(goto="create", update={**update, "queue": [retry, *queue[1:]]})
    asks_yes_no = pending["needs"] == "confirmation" or _nameless_create(op, pending)
    if op is not None and asks_yes_no and op["tool"] in CONFIRMED_NODE:
        if (
            is_yes(text)
            or (op["tool"] != "delete_lead" and _answer_key(text) in CREATE_YES)
            or (op["tool"] == "create_lead" and is_create_yes(text))
        ):
            return Command(
                goto=CONFIRMED_NODE[op["tool"]],
                update={**update, "queue": [{**op, "confirmed": True}, *queue[1:]]},
            )
        if is_no(text):
            name = _subject(op, store)
            outcome: Outcome = {
                "call_id": op["call_id"],
                "line": (
                    "The new lead was not created."
                    if _nameless_create(op, pending)
                    else CANCELLED[op["tool"]].format(name=name)
                ),
                "action": None,
            }
            rest = queue[1:]
            return Command(
                goto="lead_matcher" if rest else "respond",
                update={**update, "queue": rest, "results": [outcome]},
            )
    if op is not None and pending["needs"] == "clarification":
        chosen = pick_choice(text, pending.get("choices", []), store)
        if chosen:
            return Command(
                goto="lead_matcher",
                update={**update, "queue": [{**op, "lead_id": chosen}, *queue[1:]]},
            )
    # Not an answer to the question: a new request; the pending operations are dropped.
    return Command(goto="router", update={**update, "queue": []})
