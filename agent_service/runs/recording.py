"""Writes a finished conversation as an eval YAML file (`CRM_RECORD_DIR`), for review."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent_service.conversations import write_conversation


def leads_before(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The touched leads as they were before the conversation, from the first change of each."""
    seen: dict[str, dict[str, Any] | None] = {}
    for run in runs:
        for action in (run.get("result") or {}).get("actions", []):
            lead_id = action["lead_id"]
            if lead_id in seen:
                continue
            before = {field: values[0] for field, values in action["changes"].items()}
            if action["type"] == "create_lead":
                seen[lead_id] = None  # did not exist before
                continue
            seen[lead_id] = {
                "name": action["lead_name"],
                **{k: v for k, v in before.items() if v is not None},
            }
    return [lead for lead in seen.values() if lead]


def record_thread(directory: Path, thread_id: str, runs: list[dict[str, Any]]) -> Path | None:
    """Write the thread's succeeded turns; returns the file, or None when nothing happened."""
    turns = [
        {
            "user": run["message"],
            "actions": (run.get("result") or {}).get("actions", []),
            "needs": (run.get("result") or {}).get("needs"),
        }
        for run in runs
        if run["status"] == "succeeded"
    ]
    if not turns:
        return None
    return write_conversation(
        Path(directory),
        name=f"recorded-{thread_id[:12]}",
        leads_before=leads_before(runs),
        turns=turns,
    )
