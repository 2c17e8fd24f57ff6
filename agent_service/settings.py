"""The one place for configuration: environment variables read by pydantic-settings."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_STAGES = ("New", "Contacted", "Meeting booked", "Proposal sent", "Won", "Lost")
DEV_TOKEN = "dev-agent-token"  # refused outside development
ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Settings of the agent service (see README, "Configuration")."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    environment: Literal["development", "test", "production"] = Field(
        "development", alias="CRM_ENV"
    )
    crm_model: Literal["openai", "offline"] | None = None
    openai_api_key: SecretStr | None = None
    openai_model: str = "gpt-4.1"
    openai_base_url: str | None = None
    openai_timeout: float = Field(30.0, gt=0)
    openai_max_retries: int = Field(2, ge=0, le=10)

    crm_database_url: str = f"sqlite:///{ROOT / 'var' / 'crm.sqlite3'}"
    supabase_url: str | None = None
    supabase_key: SecretStr | None = None
    checkpoint_database_url: str | None = None

    agent_service_token: SecretStr = SecretStr(DEV_TOKEN)
    agent_host: str = "127.0.0.1"
    agent_port: int = 8001

    crm_pipeline: Annotated[tuple[str, ...], NoDecode] = DEFAULT_STAGES
    crm_record_dir: Path | None = None
    thread_ttl_hours: float = Field(72.0, gt=0)
    history_window: int = Field(20, ge=2, le=200)
    max_message_chars: int = Field(2000, ge=1)
    run_timeout_seconds: float = Field(120.0, gt=0)
    max_concurrent_runs: int = Field(16, ge=1, le=256)
    # Housekeeping (the background sweep): finished runs and change-log rows older than these.
    run_retention_days: float = Field(30.0, gt=0)
    change_log_retention_days: float = Field(30.0, gt=0)
    # PostgreSQL run records: after a database restart, this long before a free worker lock
    # counts as a dead process (live ones take theirs again within a second).
    run_restart_grace_seconds: float = Field(5.0, ge=0)
    # How often the sweep finishes runs left by dead processes or stuck past the timeout.
    recovery_seconds: float = Field(2.0, gt=0)
    # uvicorn keeps idle connections this long: longer than any proxy pool's idle time.
    keep_alive_seconds: int = Field(75, ge=1)
    # The interactive API docs (/docs, /redoc, /openapi.json), behind the token; off in
    # production unless set.
    api_docs: bool | None = None

    @field_validator("crm_pipeline", mode="before")
    @classmethod
    def _split_stages(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",")]
        return value

    @field_validator("crm_pipeline")
    @classmethod
    def _check_stages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        stages = tuple(s.strip() for s in value if s and s.strip())
        if not stages:
            raise ValueError("CRM_PIPELINE needs at least one stage")
        if len({s.casefold() for s in stages}) != len(stages):
            raise ValueError("CRM_PIPELINE has the same stage twice")
        return stages

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if self.environment == "production":
            token = self.agent_service_token.get_secret_value()
            if token == DEV_TOKEN or len(token) < 16:
                raise ValueError(
                    "AGENT_SERVICE_TOKEN must be set to a secret of 16+ characters in production"
                )
        if self.crm_model == "openai" and not self.openai_api_key and not self.openai_base_url:
            raise ValueError("CRM_MODEL=openai needs OPENAI_API_KEY (or OPENAI_BASE_URL)")
        return self

    @property
    def model_kind(self) -> Literal["openai", "offline"]:
        """The chat model in use: `CRM_MODEL`, else openai when a key is set, else offline."""
        if self.crm_model:
            return self.crm_model
        return "openai" if self.openai_api_key else "offline"

    @property
    def docs_enabled(self) -> bool:
        """Whether /docs, /redoc and /openapi.json are served (never without the token)."""
        if self.api_docs is not None:
            return self.api_docs
        return self.environment != "production"

    @property
    def checkpoint_url(self) -> str:
        """Where checkpoints live: `CHECKPOINT_DATABASE_URL`, else beside the lead database."""
        if self.checkpoint_database_url:
            return self.checkpoint_database_url
        if self.crm_database_url.startswith("postgres"):
            return self.crm_database_url
        return f"sqlite:///{ROOT / 'var' / 'checkpoints.sqlite3'}"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
