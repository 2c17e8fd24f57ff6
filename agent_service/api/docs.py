"""`/openapi.json`, `/docs`, `/redoc`: behind the bearer token, off in production by default.

The schema is FastAPI's, adjusted where a shared model says less than the service enforces:
a lead's `status` is one of the pipeline's stages, and PATCH cannot set `name` to null.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse

from agent_service.api.deps import require_token
from agent_service.api.schemas import ErrorBody
from agent_service.settings import Settings


def _tighten(schema: dict[str, Any], settings: Settings) -> dict[str, Any]:
    components = schema.get("components", {}).get("schemas", {})
    stages = list(settings.crm_pipeline)
    for name in ("LeadCreate", "LeadUpdate"):
        props = components.get(name, {}).get("properties", {})
        if "status" in props:
            props["status"] = {
                "anyOf": [{"type": "string", "enum": stages}, {"type": "null"}],
                "title": "Status",
                "description": "One of the pipeline's stages (GET /pipeline)",
            }
    name_prop = components.get("LeadUpdate", {}).get("properties", {}).get("name")
    if name_prop and "anyOf" in name_prop:
        strings = [s for s in name_prop["anyOf"] if s.get("type") != "null"]
        components["LeadUpdate"]["properties"]["name"] = {**strings[0], "title": "Name"}
    # Every route may answer 401 (token) and 400 (X-CRM-User), with the one error body.
    error_ref = {"$ref": "#/components/schemas/ErrorBody"}
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            for code, text in (("400", "Malformed request"), ("401", "Missing or wrong token")):
                responses.setdefault(
                    code,
                    {
                        "description": text,
                        "content": {"application/json": {"schema": error_ref}},
                    },
                )
    components.setdefault("ErrorBody", ErrorBody.model_json_schema())
    schema.setdefault("components", {})["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer"}
    }
    schema["security"] = [{"bearer": []}]
    return schema


def install_docs(app: FastAPI, settings: Settings) -> None:
    """Serve the schema and the two docs pages to token holders (unless turned off)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                routes=app.routes,
                description=(
                    "CRM chat agent service. Every route except /healthz needs "
                    "`Authorization: Bearer <AGENT_SERVICE_TOKEN>` and `X-CRM-User`."
                ),
            )
            app.openapi_schema = _tighten(schema, settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    if not settings.docs_enabled:
        return
    token = [Depends(require_token)]

    @app.get("/openapi.json", include_in_schema=False, dependencies=token)
    async def openapi_json() -> JSONResponse:
        return JSONResponse(openapi())

    @app.get("/docs", include_in_schema=False, dependencies=token)
    async def swagger() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} docs")

    @app.get("/redoc", include_in_schema=False, dependencies=token)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url="/openapi.json", title=f"{app.title} docs")
