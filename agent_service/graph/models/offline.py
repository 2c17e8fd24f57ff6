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
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import PrivateAttr

from agent_service.graph.models.commands import CommandParser
from agent_service.graph.tools import TOOLS_BY_NAME
from agent_service.settings import DEFAULT_STAGES


class OfflineChatModel(BaseChatModel):
    """A deterministic command parser that speaks OpenAI-style tool calls."""

    stages: tuple[str, ...] = DEFAULT_STAGES
    _parser: CommandParser = PrivateAttr()

    def model_post_init(self, context: Any, /) -> None:
        self._parser = CommandParser(self.stages)

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

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = _latest_user_text(messages)
        parsed = self._parser.parse(text)
        correction = _CORRECTION.match(text.strip().rstrip(".!"))
        if correction and not parsed.calls:
            parsed.calls = _redirect(messages, correction.group("ref"))
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
    r"^(?:(?:sorry|oops|no|nope|ah|argh|my bad|wait)[,!.]?\s+)*(?:i\s+meant|i\s+mean|meant"
    r"|i was talking about|i was referring to|make that|i said|try)\s+(?P<ref>.+)$",
    re.I,
)


def _redirect(messages: Sequence[BaseMessage], reference: str) -> list[tuple[str, dict]]:
    """ "Sorry, I meant Stephanie": the previous turn's operations, aimed at that lead."""
    for message in reversed(messages[:-1]):
        if isinstance(message, AIMessage) and message.tool_calls:
            calls = [(c["name"], dict(c["args"])) for c in message.tool_calls]
            with_lead = [args for _, args in calls if "lead" in args]
            if not with_lead:
                return []
            for args in with_lead:
                args["lead"] = reference.strip()
            return calls
    return []


def _latest_user_text(messages: Sequence[BaseMessage]) -> str:
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return message.text if isinstance(message.text, str) else str(message.content)
    return ""
