"""`create_app(settings)`: the HTTP API (/api/v1), /metrics and the web UI (/ui), assembled.

The API's routes are module-level routers (api_*.py) with pydantic response models
(models.py), so the OpenAPI document (/api/v1/openapi.json, a token or UI session needed) is
generated from what the routes really take and answer. Route functions only call services;
business rules (idempotent triggers, the audit log, tokens) live in services/.

Every request passes the gate first (gate.py): rate limit per client (the API token's id, or
the client address when the request carries no valid token; `LEGATO_RATE_LIMIT="N/SECONDS"`,
default 2000 per 300 s; over it, 429 with Retry-After), then authentication (an /api/v1 route
without a valid bearer token is 401 before its body is read or validated), then the body cap
(LEGATO_MAX_REQUEST_BYTES, 413). Errors are JSON `{"detail": message}` (handlers.py; HTML
pages under /ui). State-changing actions are written to the audit log, which admins read at
/audit. The web UI (ui/) is mounted under /ui with its own cookie sessions.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles

from ..config import Settings
from ..services import audit
from . import (
    api_admin,
    api_dags,
    api_events,
    api_incidents,
    api_lineage,
    api_meta,
    api_quality,
    api_run_ops,
    api_runs,
    handlers,
    metrics_route,
    ui,
)
from .deps import known_query_only
from .gate import Gate
from .ratelimit import RateLimit, parse_rate_limit
from .ui.lineage_pages import build_lineage_ui
from .ui.ops_pages import build_ops_ui
from .ui.routes import HERE as UI_DIR

PREFIX = "/api/v1"
API_ROUTERS = (api_dags.router, api_runs.router, api_run_ops.router, api_admin.router,
               api_incidents.router, api_quality.router, api_lineage.router, api_events.router)
DESCRIPTION = (
    "Legato's API. Every operation but /health needs `Authorization: Bearer <token>` (roles "
    "viewer < operator < admin); webhook triggers also take a signed delivery instead. Errors "
    "are `{\"detail\": message}`.")


def create_app(settings: Settings, rate_limit: RateLimit | str | None = None) -> FastAPI:
    """The app; `rate_limit` ("N/SECONDS" or a RateLimit) overrides settings.rate_limit
    ($LEGATO_RATE_LIMIT)."""
    if not isinstance(rate_limit, RateLimit):
        rate_limit = parse_rate_limit(rate_limit if rate_limit is not None else settings.rate_limit)
    app = FastAPI(title="Legato", version="1", description=DESCRIPTION, openapi_url=None,
                  docs_url=None, redoc_url=None)
    app.state.settings = settings
    handlers.install(app)
    app.add_middleware(GZipMiddleware, minimum_size=2048, compresslevel=1)   # a 2,500-cell grid: 380 KiB
    app.add_middleware(Gate, settings=settings, rate=rate_limit)             # outermost: first
    app.include_router(api_meta.router, prefix=PREFIX)                       # health, docs
    for router in API_ROUTERS:
        app.include_router(router, prefix=PREFIX, dependencies=[Depends(known_query_only)])
    app.include_router(metrics_route.router, dependencies=[Depends(known_query_only)])
    record = partial(audit.record, settings)
    app.include_router(ui.build_ui(settings, record))
    app.include_router(build_ops_ui(settings, record))      # incidents, dead letters, quality
    app.include_router(build_lineage_ui(settings, record))  # datasets and lineage
    app.mount("/ui/static", StaticFiles(directory=UI_DIR / "static"), name="ui-static")
    app.openapi = partial(openapi_document, app)             # type: ignore[method-assign]
    return app


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, plus the signed-delivery scheme of the webhook triggers (a token OR
    a signature), with every error answer as JSON (FastAPI files them under a route's own
    media type, text/plain for logs); cached like FastAPI's own."""
    if app.openapi_schema is None:
        doc = get_openapi(title=app.title, version=app.version, description=app.description,
                          routes=app.routes)
        schemes = doc.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes["webhookSignature"] = {
            "type": "apiKey", "in": "header", "name": "X-Legato-Signature",
            "description": "sha256=<hex HMAC-SHA256 of \"<X-Legato-Timestamp>.<X-Legato-Event-Id>."
                           "<raw body>\"> under the webhook's secret; the timestamp (Unix "
                           "seconds) within 5 minutes of the server's clock."}
        error_body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
        for item in doc.get("paths", {}).values():
            for operation in item.values():
                if operation.pop("x-legato-signed", False):
                    operation["security"] = [{"bearer": []}, {"webhookSignature": []}]
                for status, answer in operation.get("responses", {}).items():
                    if status >= "400":              # every error is JSON, whatever the 200 is
                        answer["content"] = error_body
        app.openapi_schema = doc
    return app.openapi_schema
