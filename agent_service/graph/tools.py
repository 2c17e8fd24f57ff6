"""The lead operations offered to the chat model as OpenAI function-calling tools.

Each tool is a pydantic schema; the router binds them with `model.bind_tools(TOOLS)` and
validates every call against them. `lead` arguments are references exactly as the user said
them ("John", "the Acme lead", "sarah@techcorp.io", "him", "that lead"); the lead matcher
resolves them against the store and the conversation.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

LeadRef = Field(
    ...,
    min_length=1,
    max_length=200,
    description=(
        "The lead as the user referred to it: a name or part of one, a company, an email, "
        "a lead id, or a pronoun/phrase such as 'him', 'her', 'it', 'that lead'."
    ),
)


class _Tool(BaseModel):
    model_config = ConfigDict(extra="forbid")


class create_lead(_Tool):  # noqa: N801 - the tool name the model sees
    """Create a new lead (a potential customer) in the CRM.

    Without a name nothing is written yet: the user is shown the lead and asked for the name.
    """

    name: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="Full name of the person; leave out when the user gave none (never guess).",
    )
    company: str | None = Field(None, max_length=200, description="Their company.")
    email: str | None = Field(None, max_length=200, description="Email address.")
    phone: str | None = Field(None, max_length=40, description="Phone number.")
    status: str | None = Field(None, max_length=100, description="Pipeline stage; default New.")
    value: float | None = Field(None, description="Estimated deal value (number).")
    notes: str | None = Field(None, max_length=5000, description="Free-text notes.")
    confirm_first: bool = Field(
        False, description="True when unsure of a value: the user is shown the change and asked."
    )


class update_lead(_Tool):  # noqa: N801
    """Change fields of an existing lead (not its stage: use change_status for that).

    Only the fields to change are given; an empty string removes a field's value.
    """

    lead: str = LeadRef
    name: str | None = Field(None, max_length=200, description="New full name.")
    company: str | None = Field(None, max_length=200, description="New company.")
    email: str | None = Field(None, max_length=200, description="New email address.")
    phone: str | None = Field(None, max_length=40, description="New phone number.")
    value: float | None = Field(None, description="New deal value (number).")
    notes: str | None = Field(
        None, max_length=5000, description="A note to add (appended, dated; see replace_notes)."
    )
    replace_notes: bool = Field(False, description="True only when asked to replace the notes.")
    confirm_first: bool = Field(
        False, description="True when unsure of a value: the user is shown the change and asked."
    )


class change_status(_Tool):  # noqa: N801
    """Move a lead to another stage of the sales pipeline."""

    lead: str = LeadRef
    status: str = Field(..., min_length=1, max_length=100, description="The target stage.")


class delete_lead(_Tool):  # noqa: N801
    """Delete a lead. The user is always asked to confirm first."""

    lead: str = LeadRef


class find_leads(_Tool):  # noqa: N801
    """Look up leads: list a stage or a company, search by name, or read one lead's details."""

    lead: str | None = Field(
        None, max_length=200, description="A specific lead the user asks about (name, pronoun…)."
    )
    status: str | None = Field(None, max_length=100, description="Only leads in this stage.")
    company: str | None = Field(None, max_length=200, description="Only leads at this company.")
    text: str | None = Field(None, max_length=200, description="Free-text search over leads.")
    field: str | None = Field(
        None,
        description="The detail asked about one lead: email, phone, company, status, value, notes.",
    )
    open_only: bool = Field(
        False,
        description=(
            "True for the open pipeline, every stage but the closed ones (Won, Lost): "
            "'what's the pipeline worth?', 'open pipeline'. Not with status."
        ),
    )


class undo(_Tool):  # noqa: N801
    """Revert the user's latest change (made in the chat or on the board); again goes further back."""


class lead_history(_Tool):  # noqa: N801
    """What changed recently, or the history of one lead: who moved or changed it and when."""

    lead: str | None = Field(
        None, max_length=200, description="The lead asked about (name, pronoun…); none: all leads."
    )
    since: Literal["today", "yesterday", "week"] | None = Field(
        None, description="Only changes of today, of yesterday, or of the last 7 days."
    )


TOOLS: tuple[type[_Tool], ...] = (
    create_lead,
    update_lead,
    change_status,
    delete_lead,
    find_leads,
    undo,
    lead_history,
)
TOOLS_BY_NAME: dict[str, type[_Tool]] = {tool.__name__: tool for tool in TOOLS}
WRITE_TOOLS = frozenset({"create_lead", "update_lead", "change_status", "delete_lead", "undo"})
