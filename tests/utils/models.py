"""A scripted chat model for node and graph tests: returns queued AIMessages in order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field


def call(tool: str, /, **args: Any) -> dict[str, Any]:
    """A tool call as a model would emit it (a deterministic id from its content)."""
    call_id = f"call_{tool}_{abs(hash((tool, str(sorted(args.items()))))) % 10**8}"
    return {"name": tool, "args": args, "id": call_id, "type": "tool_call"}


def calls(*tool_calls: dict[str, Any], content: str = "") -> AIMessage:
    return AIMessage(content=content, tool_calls=list(tool_calls))


class ScriptedChatModel(BaseChatModel):
    """Answers with the next scripted message and records what it was sent."""

    script: list[AIMessage | Exception] = Field(default_factory=list)
    received: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:
        return self

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        self.received.append(list(messages))
        if not self.script:
            raise AssertionError("the scripted model ran out of answers")
        answer = self.script.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return ChatResult(generations=[ChatGeneration(message=answer)])
