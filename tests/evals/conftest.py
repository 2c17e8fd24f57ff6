"""Fixtures for the eval runner's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent_service.settings import DEFAULT_STAGES, Settings
from tests.evals.eval_cases import MOVE_JOHN, WRONG_STAGE, write_case


@pytest.fixture
def settings() -> Settings:
    return Settings(crm_model="offline", crm_pipeline=DEFAULT_STAGES)


@pytest.fixture
def cases_dir(tmp_path: Path) -> Path:
    """Two conversations: one any correct agent passes, one it must fail."""
    directory = tmp_path / "cases"
    write_case(directory, MOVE_JOHN)
    write_case(directory, WRONG_STAGE)
    return directory
