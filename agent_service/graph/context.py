"""Per-run dependencies injected into every node through `runtime.context`."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from langchain_core.language_models import BaseChatModel

from agent_service.leads.factory import open_store
from agent_service.leads.store import LeadStore
from agent_service.settings import get_settings


@dataclass
class Context:
    """The lead store, the chat model and the knobs a run needs; never module globals.

    Servers that build the context themselves (LangGraph Studio's `langgraph dev` calls
    `Context()`) leave `store` and `model` unset; nodes then get the environment's defaults.
    """

    store: LeadStore = None  # type: ignore[assignment]
    model: BaseChatModel = None  # type: ignore[assignment]
    history_window: int = 20
    undo_depth: int = 20
    extra: dict[str, object] = field(default_factory=dict)


@lru_cache(maxsize=1)
def default_context() -> Context:
    """The environment's store and model, for runs started without a context (LangGraph Studio)."""
    from agent_service.graph.models import build_chat_model

    settings = get_settings()
    store = open_store(settings)
    store.migrate()
    return Context(
        store=store, model=build_chat_model(settings), history_window=settings.history_window
    )


def get_context(runtime: object) -> Context:
    """`runtime.context`, or the environment's defaults when the run was started without one."""
    context = getattr(runtime, "context", None)
    if isinstance(context, Context) and context.store is not None and context.model is not None:
        return context
    return default_context()
