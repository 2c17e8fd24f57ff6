"""`open_store`: the lead store backend named by the settings."""

from __future__ import annotations

from typing import Any

from agent_service.errors import InvalidInput
from agent_service.leads.models import Pipeline
from agent_service.leads.store import LeadStore


def open_store(settings: Any) -> LeadStore:
    """The backend named by the settings: Supabase client, PostgreSQL or SQLite."""
    pipeline = Pipeline(settings.crm_pipeline)
    if settings.supabase_url and settings.supabase_key:
        from agent_service.leads.supabase import SupabaseLeadStore

        return SupabaseLeadStore(
            settings.supabase_url, settings.supabase_key.get_secret_value(), pipeline
        )
    url: str = settings.crm_database_url
    if url.startswith(("postgres://", "postgresql://")):
        from agent_service.leads.postgres import PostgresLeadStore

        return PostgresLeadStore(url, pipeline)
    if url.startswith("sqlite:///"):
        from agent_service.leads.sqlite import SqliteLeadStore

        return SqliteLeadStore(url.removeprefix("sqlite:///"), pipeline)
    raise InvalidInput(f"Unsupported CRM_DATABASE_URL scheme: {url.split(':', 1)[0]}")
