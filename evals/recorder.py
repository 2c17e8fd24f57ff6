"""Writing a finished live conversation as an eval file: the format lives in
`agent_service.conversations` (shared with the service's recorder); re-exported here."""

from __future__ import annotations

from agent_service.conversations import conversation_data, expected_action, write_conversation

__all__ = ["conversation_data", "expected_action", "write_conversation"]
