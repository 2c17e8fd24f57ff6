"""Conversation data and helpers shared by the eval runner's tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
CASSETTES = REPO / "evals" / "cassettes"
CONVERSATIONS = REPO / "evals" / "conversations"

MOVE_JOHN: dict[str, Any] = {
    "name": "move-john",
    "tags": ["change_status", "partial_name"],
    "leads": [
        {"name": "John Smith", "company": "Acme", "email": "john@acme.com", "status": "Contacted"},
        {"name": "Sarah Lee", "company": "TechCorp", "status": "New"},
    ],
    "turns": [
        {
            "user": "Move John Smith to Meeting booked",
            "expect": {
                "actions": [
                    {"type": "change_status", "lead": "John Smith", "status": "Meeting booked"}
                ],
                "reply_contains": ["John Smith", "meeting booked"],
            },
        },
        {
            "user": "what's John Smith's email?",
            "expect": {"actions": [], "reply_contains": ["john@acme.com"], "needs": None},
        },
    ],
    "final_leads": [
        {"name": "John Smith", "status": "Meeting booked"},
        {"name": "Sarah Lee", "status": "New"},
    ],
    "absent": [],
}

# Expects Sarah to be Won, but the message asks for Lost: fails with any correct agent.
WRONG_STAGE: dict[str, Any] = {
    "name": "wrong-stage",
    "tags": ["change_status"],
    "leads": [{"name": "Sarah Lee", "company": "TechCorp", "status": "New"}],
    "turns": [
        {
            "user": "move Sarah Lee to Lost",
            "expect": {
                "actions": [{"type": "change_status", "lead": "Sarah Lee", "status": "Won"}],
                "reply_contains": ["Won"],
            },
        }
    ],
    "final_leads": [{"name": "Sarah Lee", "status": "Won"}],
}


def write_case(directory: Path, data: dict[str, Any], file_name: str | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / (file_name or f"{data['name']}.yaml")
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
