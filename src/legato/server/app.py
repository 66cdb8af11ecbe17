"""`create_app(settings)`: the /api/v1 routes over the service layer.

Route functions are plain `def` (FastAPI runs them in its thread pool) and only call services;
every error is JSON `{"detail": message}`.

Every route but /health is rate limited per client (the API token's id, or the client IP when
the request carries no valid token): `LEGATO_RATE_LIMIT="N/SECONDS"`, default 2000 per 300 s,
sliding window in memory (see ratelimit.py); over the limit is 429 with `Retry-After`.
Trigger, pause and unpause write a row to the audit log, which admins read at /audit.

The OpenAPI document (/api/v1/openapi.json) and its reference page (/api/v1/docs, rendered
here: no CDN assets) need a token or a UI session like everything else. `Idempotency-Key`s of
triggers are kept in the store (store/idempotency.py), so a retry after a restart still finds
the first run. The web UI (ui/) is mounted under /ui with its own cookie sessions.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import Depends, FastAPI, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DataError, IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..config import Settings
from ..security import AuthError, Forbidden, authenticate, permits
from ..services import operate, queries, ui_views
from ..services.queries import NotFound
from ..store import audit as audit_store
from ..store import idempotency as idempotency_store
from ..store import runs as run_store
from ..store.db import open_engine
from ..store.runs import RunRow
from ..store.tokens import TokenRow
from . import api_events, api_incidents, api_lineage, api_quality, metrics_route, ui
from .ratelimit import ENV_VAR, RateLimit, SlidingWindowLimiter, parse_rate_limit
from .ui.lineage_pages import build_lineage_ui
from .ui.ops_pages import build_ops_ui
from .ui.routes import HERE as UI_DIR
from .ui.routes import render

PREFIX = "/api/v1"


class TriggerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    logical_date: str | None = None
    params: dict[str, Any] | None = None


def _run_json(run: RunRow) -> dict[str, Any]:
    def iso(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {"run_id": run.run_id, "dag_id": run.dag_id, "run_type": run.run_type,
            "state": run.state, "logical_date": iso(run.logical_date),
            "data_interval_start": iso(run.data_interval_start),
            "data_interval_end": iso(run.data_interval_end), "params": run.params,
            "created_at": iso(run.created_at), "start_date": iso(run.start_date),
            "end_date": iso(run.end_date)}


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()))
        parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else str(err.get("msg")))
    return "; ".join(parts) or "invalid request"


class Conflict(Exception):
    """The request clashes with work in progress (HTTP 409)."""


class _Idempotency:
    """Idempotency-Key -> run, per DAG, kept in the store.

    The first trigger claims the key (a row with no run yet; the primary key refuses a second
    claim), creates its run and records the run id; a trigger that loses the claim waits for
    the winner's run id (up to WAIT_S, then 409) and answers with that run. A failed create
    gives the key back, so a retry can succeed; a claim left unsettled for STALE_S (its server
    died mid-trigger) is taken over."""

    WAIT_S = 10.0
    STALE_S = 60.0

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def trigger(self, dag_id: str, key: str | None, create: Callable[[], RunRow]) -> tuple[RunRow, bool]:
        if not key:
            return create(), True
        if len(key) > idempotency_store.MAX_KEY_LENGTH:
            raise ValueError(f"Idempotency-Key is longer than {idempotency_store.MAX_KEY_LENGTH} characters")
        engine = open_engine(self.settings.database_url)
        deadline = time.monotonic() + self.WAIT_S
        while True:
            try:
                with engine.begin() as conn:
                    idempotency_store.claim(conn, dag_id, key, datetime.now(UTC))
                break
            except IntegrityError:
                existing = self._settled(dag_id, key)
                if existing is not None:
                    return existing, False
                if time.monotonic() > deadline:
                    raise Conflict("a trigger with this Idempotency-Key is still in progress") from None
                time.sleep(0.05)
        try:
            run = create()
        except BaseException:
            with engine.begin() as conn:
                idempotency_store.release(conn, dag_id, key)
            raise
        with engine.begin() as conn:
            idempotency_store.settle(conn, dag_id, key, run.run_id)
        return run, True

    def _settled(self, dag_id: str, key: str) -> RunRow | None:
        """The run of a settled key; None while unsettled (a stale claim is dropped first)."""
        with open_engine(self.settings.database_url).begin() as conn:
            row = idempotency_store.get(conn, dag_id, key)
            if row is None:
                return None
            if row.run_id is None:
                if (datetime.now(UTC) - row.created_at).total_seconds() > self.STALE_S:
                    idempotency_store.release(conn, dag_id, key, claimed_at=row.created_at)
                return None
            run = run_store.get_run(conn, row.run_id)
        if run is None:
            raise NotFound(f"the run {row.run_id!r} of this Idempotency-Key no longer exists")
        return run


def _actor(token: TokenRow) -> str:
    return f"{token.name or f'token #{token.id}'} ({token.role})"


def create_app(settings: Settings, rate_limit: RateLimit | str | None = None) -> FastAPI:
    """The app; `rate_limit` ("N/SECONDS" or a RateLimit) overrides $LEGATO_RATE_LIMIT."""
    if not isinstance(rate_limit, RateLimit):
        rate_limit = parse_rate_limit(rate_limit if rate_limit is not None else os.environ.get(ENV_VAR))
    app = FastAPI(title="Legato", version="1", openapi_url=None, docs_url=None, redoc_url=None)
    app.add_middleware(GZipMiddleware, minimum_size=2048, compresslevel=1)   # a 2,500-cell grid: 380 KiB
    idempotency = _Idempotency(settings)
    limiter = SlidingWindowLimiter(rate_limit)

    def error(status: int, message: str, headers: dict[str, str] | None = None,
              request: Request | None = None) -> JSONResponse | HTMLResponse:
        if request is not None and ui.is_page(request):
            page = ui.error_page(request, status, message)
            page.headers.update(headers or {})
            return page
        return JSONResponse({"detail": message}, status_code=status, headers=headers)

    @app.exception_handler(NotFound)
    def _not_found(request: Request, exc: NotFound) -> Any:
        return error(404, str(exc.args[0]) if exc.args else "not found", request=request)

    @app.exception_handler(ValueError)
    def _bad_value(request: Request, exc: ValueError) -> Any:
        return error(400, str(exc), request=request)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    def _out_of_range(request: Request, exc: Exception) -> Any:
        # e.g. an id beyond the database's integer range, from any router: bad input, not a crash
        return error(400, f"value out of range for the store ({type(exc).__name__})", request=request)

    @app.exception_handler(RequestValidationError)
    def _invalid(request: Request, exc: RequestValidationError) -> Any:
        return error(422, _validation_message(exc), request=request)

    @app.exception_handler(AuthError)
    def _unauthorized(_: Request, exc: AuthError) -> Any:
        return error(401, str(exc), {"WWW-Authenticate": "Bearer"})

    @app.exception_handler(ui.LoginRequired)
    def _login(request: Request, exc: ui.LoginRequired) -> Any:
        if ui.is_page(request) or request.url.path == f"{PREFIX}/docs":
            return RedirectResponse(ui.login_url(exc.next_path), status_code=303)
        return error(401, "log in at /ui/login (or send a bearer token)")

    @app.exception_handler(Forbidden)
    def _forbidden(request: Request, exc: Forbidden) -> Any:
        return error(403, str(exc), request=request)

    @app.exception_handler(Conflict)
    def _conflict(_: Request, exc: Conflict) -> Any:
        return error(409, str(exc))

    @app.exception_handler(StarletteHTTPException)
    def _http(request: Request, exc: StarletteHTTPException) -> Any:
        return error(exc.status_code, str(exc.detail), getattr(exc, "headers", None), request)

    @app.exception_handler(Exception)
    def _crash(request: Request, exc: Exception) -> Any:
        return error(500, f"internal error: {type(exc).__name__}", request=request)

    def client_key(request: Request) -> str:
        authorization = request.headers.get("authorization")
        if authorization:
            try:
                return f"token:{authenticate(settings, authorization).id}"
            except AuthError:
                pass
        session = ui.session_of(settings, request)
        if session is not None:
            return f"token:{session.token.id}"
        return f"ip:{request.client.host if request.client else 'unknown'}"

    @app.middleware("http")
    async def _rate_limit(request: Request, call_next: Callable[[Request], Any]) -> Any:
        if request.url.path == f"{PREFIX}/health":
            return await call_next(request)
        wait = limiter.hit(await run_in_threadpool(client_key, request))
        if wait is not None:
            return error(429, f"rate limit exceeded ({rate_limit.limit} requests per "
                              f"{rate_limit.window:g} s); retry in {wait} s", {"Retry-After": str(wait)})
        return await call_next(request)

    def require(role: str) -> Any:
        def check(authorization: str | None = Header(default=None)) -> TokenRow:
            token = authenticate(settings, authorization)
            if not permits(token.role, role):
                raise Forbidden(f"role {token.role!r} may not do this (needs {role})")
            return token
        return Depends(check)

    viewer, operator, admin = require("viewer"), require("operator"), require("admin")

    def record(token: TokenRow, action: str, target: str, detail: dict[str, Any] | None = None) -> None:
        with open_engine(settings.database_url).begin() as conn:
            audit_store.insert_audit(conn, datetime.now(UTC), _actor(token), action, target, detail)

    @app.get(f"{PREFIX}/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    def reader(request: Request, authorization: str | None = Header(default=None)) -> TokenRow:
        """A bearer token or, failing that, a UI session (for the OpenAPI document and docs)."""
        if authorization:
            return authenticate(settings, authorization)
        session = ui.session_of(settings, request)
        if session is None:
            raise ui.LoginRequired(request.url.path)
        return session.token

    @app.get(f"{PREFIX}/openapi.json", include_in_schema=False)
    def openapi_document(_: TokenRow = Depends(reader)) -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get(f"{PREFIX}/docs", include_in_schema=False)
    def docs(request: Request, _: TokenRow = Depends(reader)) -> HTMLResponse:
        return render(request, ui.session_of(settings, request), "api_docs.html", doc=app.openapi())

    @app.get(f"{PREFIX}/dags", dependencies=[viewer])
    def list_dags() -> dict[str, Any]:
        view = ui_views.dag_list(settings, last=0)
        dags = [{k: v for k, v in d.to_json().items() if k != "last_runs"} for d in view.dags]
        return {"dags": dags, "errors": view.errors}

    @app.post(f"{PREFIX}/dags/{{dag_id}}/pause")
    def pause(dag_id: str, token: TokenRow = operator) -> dict[str, Any]:
        operate.set_paused(settings, dag_id, True)
        record(token, "pause", dag_id)
        return {"dag_id": dag_id, "is_paused": True}

    @app.post(f"{PREFIX}/dags/{{dag_id}}/unpause")
    def unpause(dag_id: str, token: TokenRow = operator) -> dict[str, Any]:
        operate.set_paused(settings, dag_id, False)
        record(token, "unpause", dag_id)
        return {"dag_id": dag_id, "is_paused": False}

    @app.post(f"{PREFIX}/dags/{{dag_id}}/runs", status_code=201)
    def trigger(dag_id: str, response: Response, body: TriggerBody | None = None,
                idempotency_key: str | None = Header(default=None),
                token: TokenRow = operator) -> dict[str, Any]:
        body = body or TriggerBody()
        run, created = idempotency.trigger(
            dag_id, idempotency_key,
            lambda: operate.trigger(settings, dag_id, body.logical_date, body.params))
        if created:
            record(token, "trigger", dag_id, {"run_id": run.run_id, "logical_date": body.logical_date,
                                              "params": body.params, "idempotency_key": idempotency_key})
        else:                        # the first run, read back with its state as it is now
            response.status_code = 200
        return _run_json(run)

    @app.get(f"{PREFIX}/runs", dependencies=[viewer])
    def list_runs(dag_id: str | None = None,
                  limit: int = Query(default=50, ge=1, le=10000)) -> list[dict[str, Any]]:
        return [_run_json(r) for r in queries.list_runs(settings, dag_id, limit)]

    @app.get(f"{PREFIX}/runs/{{run_id}}", dependencies=[viewer])
    def show_run(run_id: str) -> dict[str, Any]:
        return queries.show_run(settings, run_id).to_json()

    @app.get(f"{PREFIX}/runs/{{run_id}}/tasks/{{task_id}}/logs", dependencies=[viewer],
             response_class=PlainTextResponse)
    def task_log(run_id: str, task_id: str,
                 try_number: int | None = Query(default=None, alias="try", ge=1),
                 map_index: int = Query(default=-1, ge=-1)) -> PlainTextResponse:
        found = queries.read_log(settings, run_id, task_id, try_number, map_index)
        return PlainTextResponse(found.text, headers={"X-Legato-Try": str(found.try_number)})

    @app.get(f"{PREFIX}/audit", dependencies=[admin])
    def audit(limit: int = Query(default=100, ge=1, le=10000)) -> list[dict[str, Any]]:
        with open_engine(settings.database_url).connect() as conn:
            return [row.to_json() for row in audit_store.list_audit(conn, limit)]

    app.include_router(api_incidents.build_router(settings, require, record), prefix=PREFIX)
    app.include_router(api_quality.build_router(settings, require, record), prefix=PREFIX)
    app.include_router(api_lineage.build_router(settings, require, record), prefix=PREFIX)
    app.include_router(api_events.build_router(settings, require, record), prefix=PREFIX)
    app.include_router(metrics_route.build_router(settings, require, record))   # /metrics
    app.include_router(ui.build_ui(settings, record))
    app.include_router(build_ops_ui(settings, record))   # incidents, dead letters, quality
    app.include_router(build_lineage_ui(settings, record))  # datasets and lineage
    app.mount("/ui/static", StaticFiles(directory=UI_DIR / "static"), name="ui-static")
    return app
