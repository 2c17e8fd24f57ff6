"""The OpenAI chat model (any OpenAI-compatible server through `OPENAI_BASE_URL`)."""

from __future__ import annotations

from langchain_openai import ChatOpenAI

from agent_service.settings import Settings


def openai_chat_model(settings: Settings) -> ChatOpenAI:
    """`ChatOpenAI` with deterministic sampling, a timeout and retries with backoff."""
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "not-needed"
    return ChatOpenAI(
        model=settings.openai_model,
        api_key=key,
        base_url=settings.openai_base_url,
        timeout=settings.openai_timeout,
        max_retries=settings.openai_max_retries,
        temperature=0,
    )
