"""The one place that turns failures into HTTP answers: `{"detail": str, "type": str}`."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from agent_service.errors import CrmError, UnknownStage

log = logging.getLogger("agent_service.api")

_HTTP_TYPES = {
    400: "invalid_input",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
}


def error_body(detail: str, type_: str, **extra: object) -> dict[str, object]:
    return {"detail": detail, "type": type_, **extra}


def _describe(errors: list[dict]) -> str:
    parts = []
    for err in errors:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers mapping every error to the same JSON shape."""

    @app.exception_handler(CrmError)
    async def crm_error(_: Request, exc: CrmError) -> JSONResponse:
        extra: dict[str, object] = {}
        if isinstance(exc, UnknownStage):
            extra["stages"] = exc.stages
        if exc.status_code >= 500:
            log.warning("%s: %s", exc.type, exc.detail, exc_info=exc.__cause__ is not None)
        return JSONResponse(error_body(exc.detail, exc.type, **extra), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return JSONResponse(
                error_body("The request body is not valid JSON.", "invalid_input"), status_code=400
            )
        return JSONResponse(
            error_body(f"Invalid input: {_describe(errors)}", "invalid_input"), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        type_ = _HTTP_TYPES.get(
            exc.status_code, "invalid_input" if exc.status_code < 500 else "internal"
        )
        return JSONResponse(
            error_body(str(exc.detail), type_), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(
            error_body("Internal error; nothing was changed.", "internal"), status_code=500
        )
