"""Typed graph state, checkpointed per thread (the chat session)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages

# typing_extensions' TypedDict: pydantic (LangGraph Studio's /schemas) refuses typing's on 3.11.
from typing_extensions import TypedDict


class Operation(TypedDict, total=False):
    """One tool call of the current message, waiting to be carried out."""

    call_id: str
    tool: str
    args: dict[str, Any]
    lead_id: str | None  # set by the lead matcher (or by the user's answer to "which one?")
    confirmed: bool  # deletes, and creates/updates that asked first: the user said yes
    version: int  # the version of the lead the user was asked about (confirmations)
    answered: bool  # a ToolMessage for this call is already in the history


class Outcome(TypedDict, total=False):
    """What one operation did: a line of the reply and, for writes, the action."""

    call_id: str
    line: str
    action: dict[str, Any] | None


class Pending(TypedDict, total=False):
    """A question waiting for the user's next message."""

    needs: Literal["clarification", "confirmation"]
    question: str
    choices: list[dict[str, str]]
    call_id: str


class TurnResult(TypedDict, total=False):
    reply: str
    actions: list[dict[str, Any]]
    needs: Literal["clarification", "confirmation"] | None
    choices: list[dict[str, str]]


class InputState(TypedDict):
    """What a caller sends: the new user message."""

    messages: Annotated[Sequence[AnyMessage], add_messages]


class State(InputState, total=False):
    queue: list[Operation]
    results: list[Outcome]
    focus: list[str]
    focus_group: int  # how many leads at the front of `focus` were shown together (a listing)
    pending: Pending | None
    # The change-log seq this thread has seen: board changes after it come into `focus`.
    seen_seq: int
    turn: TurnResult
    usage: dict[str, int]  # tokens the router's model calls used this turn
