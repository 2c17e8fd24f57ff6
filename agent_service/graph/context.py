"""Per-run dependencies injected into every node through `runtime.context`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Annotated, Any, Literal

from langchain_core.language_models import BaseChatModel
from pydantic import Field, PlainValidator, ValidationError
from pydantic.json_schema import SkipJsonSchema

from agent_service.errors import ModelUnavailable
from agent_service.leads.factory import open_store
from agent_service.leads.models import Actor
from agent_service.leads.store import LeadStore
from agent_service.settings import Settings, get_settings

# A field the service fills with a live object: passed through as it is and left out of the
# JSON schema LangGraph Studio shows (pydantic cannot describe a store or a model).
_Internal = [PlainValidator(lambda value: value), SkipJsonSchema()]


@dataclass
class Context:
    """The lead store, the chat model and the knobs a run needs; never module globals.

    Servers that build the context themselves (LangGraph Studio's `langgraph dev` calls
    `Context(**settings)` with the fields of its "context" form) leave `store` and `model`
    unset; nodes then get the environment's store and the model chosen by `crm_model`
    (default `CRM_MODEL`, as the service). `actor` (who the run writes as: the user, source
    `chat`, the run and thread ids) is set per run by `ChatAgent.send`; Studio runs write as
    `user_id` (default `studio`).
    """

    store: Annotated[LeadStore, *_Internal] = None  # type: ignore[assignment]
    model: Annotated[BaseChatModel, *_Internal] = None  # type: ignore[assignment]
    actor: Annotated[Actor, *_Internal] = None  # type: ignore[assignment]
    crm_model: Annotated[
        Literal["openai", "offline"] | None,
        Field(description="The chat model: openai or offline; empty means CRM_MODEL."),
    ] = None
    openai_model: Annotated[
        str | None,
        Field(description="The OpenAI model name (e.g. gpt-4.1); empty means OPENAI_MODEL."),
    ] = None
    history_window: Annotated[
        int, Field(ge=2, le=200, description="Messages of the conversation the model sees.")
    ] = 20
    user_id: Annotated[
        str,
        Field(
            min_length=1,
            max_length=200,
            description="Who a Studio run acts as (undo and board focus are per user).",
        ),
    ] = "studio"
    extra: Annotated[dict[str, object], SkipJsonSchema()] = field(default_factory=dict)


@lru_cache(maxsize=1)
def default_store() -> LeadStore:
    """The environment's lead store, migrated once (for runs started without one)."""
    store = open_store(get_settings())
    store.migrate()
    return store


@lru_cache(maxsize=4)
def default_model(crm_model: str | None, openai_model: str | None) -> BaseChatModel:
    """The chat model for a Studio run: the environment's settings with the run's choices."""
    from agent_service.graph.models import build_chat_model

    overrides: dict[str, Any] = {}
    if crm_model:
        overrides["crm_model"] = crm_model
    if openai_model:
        overrides["openai_model"] = openai_model
    settings = get_settings()
    if overrides:
        try:
            settings = Settings.model_validate({**settings.model_dump(), **overrides})
        except ValidationError as exc:  # e.g. crm_model openai without OPENAI_API_KEY
            reason = exc.errors()[0]["msg"].removeprefix("Value error, ")
            raise ModelUnavailable(f"{reason}; nothing was changed.") from exc
    return build_chat_model(settings)


def default_context() -> Context:
    """The environment's store and model, for runs started without a context (LangGraph Studio)."""
    return Context(
        store=default_store(),
        model=default_model(None, None),
        history_window=get_settings().history_window,
    )


def studio_actor(user_id: str = "studio") -> Actor:
    """Who a run started without an actor (LangGraph Studio) writes as: `user_id`, with the
    run and thread ids of the LangGraph config when there is one."""
    try:
        from langgraph.config import get_config

        config = get_config()
    except RuntimeError:  # outside a run
        config = {}
    configurable = config.get("configurable") or {}
    metadata = config.get("metadata") or {}
    run_id = configurable.get("run_id") or metadata.get("run_id")
    thread_id = configurable.get("thread_id") or metadata.get("thread_id")
    return Actor(
        user_id=user_id,
        user_name=user_id,
        source="chat",
        run_id=str(run_id) if run_id else None,
        thread_id=str(thread_id) if thread_id else None,
    )


def get_context(runtime: object) -> Context:
    """`runtime.context`, completed with the environment's store and model where unset."""
    context = getattr(runtime, "context", None)
    if not isinstance(context, Context):
        context = default_context()
    if context.store is not None and context.model is not None and context.actor is not None:
        return context
    return replace(
        context,
        store=context.store if context.store is not None else default_store(),
        model=context.model
        if context.model is not None
        else default_model(context.crm_model, context.openai_model),
        actor=context.actor if context.actor is not None else studio_actor(context.user_id),
    )
