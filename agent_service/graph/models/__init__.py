"""Chat models: `openai` (ChatOpenAI) or `offline` (a deterministic command parser)."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel

from agent_service.settings import Settings


def build_chat_model(settings: Settings) -> BaseChatModel:
    """The chat model chosen by `CRM_MODEL` (see `Settings.model_kind`)."""
    if settings.model_kind == "openai":
        from agent_service.graph.models.openai import openai_chat_model

        return openai_chat_model(settings)
    from agent_service.graph.models.offline import OfflineChatModel

    return OfflineChatModel(stages=tuple(settings.crm_pipeline))
