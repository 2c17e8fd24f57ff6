"""The error hierarchy of the agent service.

Every failure the service reports is one of these; `agent_service.api.errors` maps them to
HTTP answers in one place (`{"detail": ..., "type": ...}`)::

    CrmError                      500 internal
    ├── InvalidInput              422 invalid_input
    │   └── UnknownStage          422 invalid_input   (lists the valid stages)
    ├── Unauthorized              401 unauthorized
    ├── MissingUser               400 invalid_input
    ├── NotFound                  404 not_found
    │   ├── LeadNotFound
    │   ├── ThreadNotFound
    │   └── RunNotFound
    ├── VersionConflict           409 conflict
    ├── StoreUnavailable          503 database_unavailable
    ├── ModelUnavailable          503 model_unavailable
    └── ModelTimeout              504 timeout
"""

from __future__ import annotations

from collections.abc import Sequence


class CrmError(Exception):
    """Base class: a failure with a user-safe message, an HTTP status and a stable type."""

    status_code = 500
    type = "internal"

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail or "Something went wrong; nothing was changed."
        super().__init__(self.detail)


class InvalidInput(CrmError):
    status_code = 422
    type = "invalid_input"


class UnknownStage(InvalidInput):
    def __init__(self, stage: str, stages: Sequence[str]) -> None:
        self.stage = stage
        self.stages = list(stages)
        super().__init__(f"Unknown stage '{stage}'. Valid stages: {', '.join(self.stages)}.")


class Unauthorized(CrmError):
    status_code = 401
    type = "unauthorized"


class MissingUser(CrmError):
    status_code = 400
    type = "invalid_input"

    def __init__(self) -> None:
        super().__init__("The X-CRM-User header is required.")


class NotFound(CrmError):
    status_code = 404
    type = "not_found"


class LeadNotFound(NotFound):
    def __init__(self, lead_id: str) -> None:
        self.lead_id = lead_id
        super().__init__(f"Lead '{lead_id}' does not exist.")


class ThreadNotFound(NotFound):
    def __init__(self, thread_id: str) -> None:
        super().__init__(f"Thread '{thread_id}' does not exist.")


class RunNotFound(NotFound):
    def __init__(self, run_id: str) -> None:
        super().__init__(f"Run '{run_id}' does not exist.")


class VersionConflict(CrmError):
    status_code = 409
    type = "conflict"

    def __init__(self, lead_id: str, expected: int, actual: int) -> None:
        self.lead_id = lead_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"Lead '{lead_id}' was changed by someone else (version {actual}, "
            f"you had {expected}). Reload it and try again."
        )


class StoreUnavailable(CrmError):
    status_code = 503
    type = "database_unavailable"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(
            detail or "The lead database is unavailable right now; nothing was changed."
        )


class ModelUnavailable(CrmError):
    status_code = 503
    type = "model_unavailable"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(
            detail or "The language model is unavailable right now; nothing was changed."
        )


class ModelTimeout(CrmError):
    status_code = 504
    type = "timeout"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or "The assistant took too long to answer; nothing was changed.")
