"""How errors become answers: once, for the API and the UI.

- A `UserError` (legato/errors.py) is its status with `{"detail": message}`: NotFound 404,
  InvalidInput 400, Conflict 409, Unauthorized 401 (with `WWW-Authenticate: Bearer`), ...
- An `InternalError`, an illegal state transition (engine.states.IllegalTransition) or any
  other exception is a bug or a broken machine: 500 with the error's type only, and the
  traceback in the server log (logger `legato.server`). No internal error is reported to a
  client as its fault.
- A request that does not match the OpenAPI document is 422 with a one-line message.
- An id or number beyond what the database stores is 400 (OverflowError, DataError).
- 405 lists in `Allow` every method of the path, not only those of the first route matched.

The API has no `ValueError -> 400` catch-all: a route that calls a service whose ValueErrors
are about the request says so with `user_input()`. UI pages (under /ui, owned by the UI) still
answer a ValueError with 400 until they raise InvalidInput; an IllegalTransition is a 500
there too. Pages get HTML error pages, everything else JSON.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from ..engine.states import IllegalTransition
from ..errors import InternalError, InvalidInput, LegatoError, Unauthorized, UserError
from . import ui

log = logging.getLogger("legato.server")
PREFIX = "/api/v1"
INTERNAL = (InternalError, IllegalTransition)


@contextmanager
def user_input() -> Iterator[None]:
    """Inside: a ValueError raised by a service is about the caller's input (InvalidInput, 400).
    Legato's own errors and internal ones (an illegal state transition) pass unchanged."""
    try:
        yield
    except (LegatoError, *INTERNAL):
        raise
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc


def error(request: Request | None, status: int, message: str,
          headers: dict[str, str] | None = None) -> JSONResponse | HTMLResponse:
    """The error answer: an HTML page for UI pages, else JSON `{"detail": message}`."""
    if request is not None and ui.is_page(request):
        page = ui.error_page(request, status, message)
        page.headers.update(headers or {})
        return page
    return JSONResponse({"detail": message}, status_code=status, headers=headers)


def _crash(request: Request, exc: BaseException) -> Any:
    log.error("%s %s failed: %s: %s", request.method, request.url.path, type(exc).__name__, exc,
              exc_info=exc)
    return error(request, 500, f"internal error: {type(exc).__name__}")


def _legato(request: Request, exc: LegatoError) -> Any:
    if not isinstance(exc, UserError):
        return _crash(request, exc)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
    return error(request, exc.status, exc.message, headers)


def _value(request: Request, exc: ValueError) -> Any:
    if isinstance(exc, INTERNAL) or not request.url.path.startswith("/ui"):
        return _crash(request, exc)
    return error(request, 400, str(exc))          # UI pages, until they raise InvalidInput


def _out_of_range(request: Request, exc: Exception) -> Any:
    return error(request, 400, f"value out of range for the store ({type(exc).__name__})")


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()))
        parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else str(err.get("msg")))
    return "; ".join(parts) or "invalid request"


def _invalid(request: Request, exc: RequestValidationError) -> Any:
    return error(request, 422, _validation_message(exc))


def _login(request: Request, exc: ui.LoginRequired) -> Any:
    if ui.is_page(request) or request.url.path == f"{PREFIX}/docs":
        return RedirectResponse(ui.login_url(exc.next_path), status_code=303)
    return error(None, 401, "log in at /ui/login (or send a bearer token)",
                 {"WWW-Authenticate": "Bearer"})


def _allowed(request: Request) -> str:
    """Every method the app serves at this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match != Match.NONE and getattr(route, "methods", None):
            methods |= set(route.methods)
    return ", ".join(sorted(methods))


def _http(request: Request, exc: StarletteHTTPException) -> Any:
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed(request)
    return error(request, exc.status_code, str(exc.detail), headers or None)


def install(app: FastAPI) -> None:
    """Register the handlers above on `app`."""
    app.add_exception_handler(LegatoError, _legato)              # type: ignore[arg-type]
    app.add_exception_handler(IllegalTransition, _crash)
    app.add_exception_handler(ValueError, _value)                # type: ignore[arg-type]
    app.add_exception_handler(OverflowError, _out_of_range)
    app.add_exception_handler(DataError, _out_of_range)
    app.add_exception_handler(RequestValidationError, _invalid)  # type: ignore[arg-type]
    app.add_exception_handler(ui.LoginRequired, _login)          # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http)     # type: ignore[arg-type]
    app.add_exception_handler(Exception, _crash)
