"""`create_app(settings)`: the /api/v1 routes over the service layer.

Route functions are plain `def` (FastAPI runs them in its thread pool) and only call services;
every error is JSON `{"detail": message}`.

Every route but /health is rate limited per client (the API token's id, or the client IP when
the request carries no valid token): `LEGATO_RATE_LIMIT="N/SECONDS"`, default 2000 per 300 s,
sliding window in memory (see ratelimit.py); over the limit is 429 with `Retry-After`.
Trigger, pause and unpause write a row to the audit log, which admins read at /audit.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import Depends, FastAPI, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..config import Settings
from ..security import AuthError, Forbidden, authenticate, permits
from ..services import operate, queries
from ..services.queries import NotFound
from ..store import audit as audit_store
from ..store.db import open_engine
from ..store.runs import RunRow
from ..store.tokens import TokenRow
from .ratelimit import ENV_VAR, RateLimit, SlidingWindowLimiter, parse_rate_limit

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


class _Idempotency:
    """Idempotency-Key -> run id, per DAG, for the life of this server process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[tuple[str, str], RunRow] = {}

    def trigger(self, dag_id: str, key: str | None, create: Callable[[], RunRow]) -> tuple[RunRow, bool]:
        if not key:
            return create(), True
        with self._lock:                       # serialises keyed triggers, so no double create
            run = self._runs.get((dag_id, key))
            if run is not None:
                return run, False
            run = create()
            self._runs[(dag_id, key)] = run
            return run, True


def _actor(token: TokenRow) -> str:
    return f"{token.name or f'token #{token.id}'} ({token.role})"


def create_app(settings: Settings, rate_limit: RateLimit | str | None = None) -> FastAPI:
    """The app; `rate_limit` ("N/SECONDS" or a RateLimit) overrides $LEGATO_RATE_LIMIT."""
    if not isinstance(rate_limit, RateLimit):
        rate_limit = parse_rate_limit(rate_limit if rate_limit is not None else os.environ.get(ENV_VAR))
    app = FastAPI(title="Legato", version="1", openapi_url=f"{PREFIX}/openapi.json",
                  docs_url=f"{PREFIX}/docs", redoc_url=None)
    idempotency = _Idempotency()
    limiter = SlidingWindowLimiter(rate_limit)

    def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse({"detail": message}, status_code=status, headers=headers)

    @app.exception_handler(NotFound)
    def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return error(404, str(exc.args[0]) if exc.args else "not found")

    @app.exception_handler(ValueError)
    def _bad_value(_: Request, exc: ValueError) -> JSONResponse:
        return error(400, str(exc))

    @app.exception_handler(RequestValidationError)
    def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error(422, _validation_message(exc))

    @app.exception_handler(AuthError)
    def _unauthorized(_: Request, exc: AuthError) -> JSONResponse:
        return error(401, str(exc), {"WWW-Authenticate": "Bearer"})

    @app.exception_handler(Forbidden)
    def _forbidden(_: Request, exc: Forbidden) -> JSONResponse:
        return error(403, str(exc))

    @app.exception_handler(StarletteHTTPException)
    def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    def _crash(_: Request, exc: Exception) -> JSONResponse:
        return error(500, f"internal error: {type(exc).__name__}")

    def client_key(request: Request) -> str:
        authorization = request.headers.get("authorization")
        if authorization:
            try:
                return f"token:{authenticate(settings, authorization).id}"
            except AuthError:
                pass
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

    @app.get(f"{PREFIX}/dags", dependencies=[viewer])
    def list_dags() -> dict[str, Any]:
        loaded = queries.discover_dags(settings)
        dags = [{"dag_id": d.dag_id, "file": d.fileloc, "schedule": d.spec().schedule,
                 "tasks": len(d.tasks), "tags": list(d.tags)} for d in loaded.dags]
        errors = [{"file": e.file, "line": e.line, "error": e.message} for e in loaded.errors]
        return {"dags": dags, "errors": errors}

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
        else:                        # the first run, with its state as it is now
            response.status_code = 200
            run = dataclasses.replace(run, state=queries.show_run(settings, run.run_id).state)
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

    return app
