"""The lead model, its API schema family (LeadCreate, LeadUpdate, Lead) and the pipeline."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
)
from rapidfuzz import fuzz, process

from agent_service.errors import UnknownStage

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Phone = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=40, pattern=r"^[0-9+()./ \-xXext]*$"),
]
Notes = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]

_SURROGATE = re.compile("[\ud800-\udfff]")

# The fields a person may set on a lead, in display order.
EDITABLE_FIELDS = ("name", "company", "email", "phone", "status", "value", "notes")


def _finite(value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):
        raise ValueError("value must be a finite number")
    return value


def check_text(value: Any) -> Any:
    """Refuse text no database keeps as it is: NUL characters (PostgreSQL text cannot hold
    them) and lone surrogates (not encodable as UTF-8)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text must not contain NUL characters")
        if _SURROGATE.search(value):
            raise ValueError("text must be valid Unicode (no lone surrogates)")
    return value


def has_bad_text(value: str) -> bool:
    """Whether `value` holds a NUL character or a lone surrogate (see `check_text`)."""
    return "\x00" in value or _SURROGATE.search(value) is not None


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


class _LeadFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _clean_text(cls, value: Any) -> Any:
        return check_text(value)

    @field_validator("company", "email", "phone", "notes", mode="before", check_fields=False)
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("value", mode="before", check_fields=False)
    @classmethod
    def _value_not_bool(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("value must be a number")
        return value

    @field_validator("value", check_fields=False)
    @classmethod
    def _value_finite(cls, value: float | None) -> float | None:
        return _finite(value)


class LeadCreate(_LeadFields):
    """Fields accepted when a lead is created; `status` defaults to the first stage."""

    name: Name
    company: ShortText | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    status: str | None = None
    value: float | None = Field(None, ge=0, le=1e12)
    notes: Notes | None = None


class LeadUpdate(_LeadFields):
    """A partial update; `version`, when given, must match the stored one (else 409)."""

    name: Name | None = None
    company: ShortText | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    status: str | None = None
    value: float | None = Field(None, ge=0, le=1e12)
    notes: Notes | None = None
    version: int | None = Field(None, ge=1)

    @field_validator("name", mode="before")
    @classmethod
    def _name_not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("name cannot be removed")
        return value

    def changes(self) -> dict[str, Any]:
        """The fields this update sets (explicit nulls included), without `version`."""
        return {k: v for k, v in self.model_dump(exclude_unset=True).items() if k != "version"}


class Actor(BaseModel):
    """Who makes a change; given to every write and recorded in the change log."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user_id: str = "system"
    user_name: str | None = None  # display name ("demo"), from X-CRM-User-Name
    source: Literal["chat", "board", "undo"] = "board"
    run_id: str | None = None  # chat only
    thread_id: str | None = None  # chat only
    reverts: int | None = None  # undo only: seq of the change it reverts

    @field_validator("user_id", "user_name", "run_id", "thread_id", mode="before")
    @classmethod
    def _clean_text(cls, value: Any) -> Any:
        return check_text(value)


class LeadChange(BaseModel):
    """One row of the change log, as the API shows it."""

    model_config = ConfigDict(frozen=True)

    seq: int  # monotonic per database
    lead_id: str
    user_id: str
    user_name: str | None = None
    source: Literal["chat", "board", "undo"]
    run_id: str | None = None
    thread_id: str | None = None
    op: Literal["create", "update", "delete", "restore"]
    before: dict | None = None  # Lead.model_dump(mode="json"), None for create
    after: dict | None = None  # None for delete
    reverts: int | None = None
    at: datetime

    @property
    def lead(self) -> dict:
        """The lead as this change left it, or as it was before a delete."""
        return self.after if self.after is not None else (self.before or {})

    @property
    def who(self) -> str:
        """The person to name for this change: display name, else user id."""
        return self.user_name or self.user_id


class Lead(BaseModel):
    """A stored lead (what the API returns)."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    company: str | None = None
    email: str | None = None
    phone: str | None = None
    status: str
    value: float | None = None
    notes: str | None = None
    created_at: datetime
    updated_at: datetime
    version: int = 1

    @property
    def label(self) -> str:
        """How the lead is named to a person: `John Smith (Acme)`."""
        return f"{self.name} ({self.company})" if self.company else self.name

    def fields(self) -> dict[str, Any]:
        """The editable fields and their values."""
        return {name: getattr(self, name) for name in EDITABLE_FIELDS}


# Everyday names for the default stages; used only when that stage exists in the pipeline.
STAGE_SYNONYMS = {
    "new lead": "New",
    "fresh": "New",
    "reached out": "Contacted",
    "in touch": "Contacted",
    "called": "Contacted",
    "emailed": "Contacted",
    "meeting": "Meeting booked",
    "meetings": "Meeting booked",
    "meeting scheduled": "Meeting booked",
    "meeting set": "Meeting booked",
    "meeting planned": "Meeting booked",
    "demo": "Meeting booked",
    "demo booked": "Meeting booked",
    "demo scheduled": "Meeting booked",
    "call booked": "Meeting booked",
    "call scheduled": "Meeting booked",
    "appointment": "Meeting booked",
    "appointment set": "Meeting booked",
    "booked": "Meeting booked",
    "proposal": "Proposal sent",
    "proposals": "Proposal sent",
    "proposal out": "Proposal sent",
    "quote": "Proposal sent",
    "quote sent": "Proposal sent",
    "quoted": "Proposal sent",
    "offer sent": "Proposal sent",
    "closed won": "Won",
    "close won": "Won",
    "signed": "Won",
    "deal won": "Won",
    "customer": "Won",
    "win": "Won",
    "closed lost": "Lost",
    "close lost": "Lost",
    "dead": "Lost",
    "deal lost": "Lost",
    "lost deal": "Lost",
    "lose": "Lost",
    "rejected": "Lost",
    "churned": "Lost",
    "not interested": "Lost",
}


class Pipeline:
    """The ordered stages of the sales pipeline, matched case-insensitively."""

    def __init__(self, stages: Sequence[str]) -> None:
        self.stages = tuple(stages)
        self._by_key = {self.key(s): s for s in self.stages}

    @staticmethod
    def key(stage: str) -> str:
        return " ".join(stage.replace("_", " ").replace("-", " ").split()).casefold()

    @property
    def first(self) -> str:
        return self.stages[0]

    def find(self, stage: str) -> str | None:
        """The canonical stage for `stage` (case and spacing ignored), or None."""
        return self._by_key.get(self.key(stage))

    def resolve(self, wanted: str) -> str | None:
        """Like `find`, but also understands everyday synonyms ("closed won" → Won)."""
        found = self.find(wanted)
        if found:
            return found
        key = self.key(wanted).removeprefix("the ")
        for suffix in (" stage", " column", " status", " phase"):
            key = key.removesuffix(suffix)
        found = self.find(key)
        if found:
            return found
        synonym = STAGE_SYNONYMS.get(key)
        if synonym:
            return self.find(synonym)
        return self._closest(key)

    def _closest(self, key: str) -> str | None:
        """A misspelt stage ("meting boked"), when one stage is clearly meant."""
        if len(key) < 4:
            return None
        names = {self.key(stage): stage for stage in self.stages}
        names.update({k: v for k, v in STAGE_SYNONYMS.items() if self.find(v)})
        found = process.extractOne(key, list(names), scorer=fuzz.ratio, score_cutoff=84)
        return self.find(names[found[0]]) if found else None

    def canonical(self, stage: str) -> str:
        """The canonical stage for `stage`, or UnknownStage listing the valid ones."""
        found = self.find(stage)
        if found is None:
            raise UnknownStage(stage, self.stages)
        return found

    def __contains__(self, stage: object) -> bool:
        return isinstance(stage, str) and self.find(stage) is not None
