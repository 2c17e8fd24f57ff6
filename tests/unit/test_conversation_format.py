"""The recorded-conversation format has one owner that the service and the evals share."""

from __future__ import annotations

import re
from pathlib import Path

import agent_service
from agent_service import conversations
from evals import cases, recorder


def test_the_service_never_imports_the_evals() -> None:
    root = Path(agent_service.__file__).parent
    importing = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if re.search(r"^\s*(?:from|import)\s+evals\b", path.read_text("utf-8"), re.M)
    ]
    assert importing == []


def test_evals_use_the_shared_format() -> None:
    assert recorder.write_conversation is conversations.write_conversation
    assert cases.LEAD_FIELDS is conversations.LEAD_FIELDS
    assert cases.CaseLoader is conversations.ConversationLoader


def test_written_files_read_back_with_yes_as_text(tmp_path: Path) -> None:
    path = conversations.write_conversation(
        tmp_path, name="c", leads_before=[], turns=[{"user": "yes", "actions": []}]
    )
    data = conversations.read_document(path)
    assert data["turns"][0]["user"] == "yes"
    assert cases.load_conversation(path).turns[0].user == "yes"
