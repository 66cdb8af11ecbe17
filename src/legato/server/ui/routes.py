"""The web UI: server-rendered pages under /ui, the JSON they poll under /ui/api, static files.

Pages render Jinja2 templates from ui/templates (autoescaped) with data from
services/ui_views.py; a small script (static/legato.js) polls the page's JSON endpoint every
two seconds and recolours the state cells in place, swapping in a freshly rendered copy of
the live region only when the set of runs changed (a new run appeared), never reloading.

Adding a page is a template and one route function:

    1. templates/things.html:  {% extends "base.html" %}{% block title %}Things{% endblock %}
                               {% block content %}...{% endblock %}
    2. in `build_ui` below:
           @router.get("/things")
           def things(request: Request, session: UiSession = viewer) -> HTMLResponse:
               return render(request, session, "things.html", things=some_service(settings))

`viewer` / `operator` make the route need a session with that role (no session: redirect to
login; too low a role: 403). A POST action also takes `form: dict[str, str] = Depends(read_form)`
and calls `check_csrf(request, session, form)` first; its form includes `{{ csrf_field() }}`.
The nav entries are NAV below ("Incidents" and "Dead letters" are there already).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from markupsafe import Markup

from ...config import Settings
from ...security import AuthError, authenticate
from ...services import operate, ui_views
from ...store.tokens import TokenRow
from .session import (
    LOGIN_PATH,
    UiSession,
    check_csrf,
    check_origin,
    clear_session_cookie,
    read_form,
    require_session,
    safe_next,
    session_of,
    set_session_cookie,
)

HERE = Path(__file__).parent
NAV = (("DAGs", "/ui/dags"), ("Incidents", "/ui/incidents"), ("Dead letters", "/ui/dlq"),
       ("Quality", "/ui/quality"), ("Datasets", "/ui/datasets"))
GRID_CHOICES = (25, 50, 100, 250)
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
                               "form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
Recorder = Callable[[TokenRow, str, str, "dict[str, Any] | None"], None]


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["when"] = _when
    return env


def render(request: Request, session: UiSession | None, template: str, status: int = 200,
           **context: Any) -> HTMLResponse:
    def csrf_field() -> Markup:
        value = session.csrf if session else ""
        return Markup('<input type="hidden" name="csrf" value="{}">').format(value)

    html = environment().get_template(template).render(
        request=request, session=session, nav=NAV, path=request.url.path, csrf_field=csrf_field,
        **context)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    return render(request, None, "error.html", status=status, status_code=status, message=message)


def is_page(request: Request) -> bool:
    """A UI page (HTML errors and login redirects), as opposed to the UI's JSON or the API."""
    path = request.url.path
    return path.startswith("/ui") and not path.startswith("/ui/api/")


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def build_ui(settings: Settings, record: Recorder) -> APIRouter:
    router = APIRouter(prefix="/ui", include_in_schema=False)

    def role(needed: str) -> Any:
        def check(request: Request) -> UiSession:
            return require_session(settings, request, needed)
        return Depends(check)

    viewer, operator = role("viewer"), role("operator")

    @router.get("")
    def home(_: UiSession = viewer) -> RedirectResponse:
        return _see_other("/ui/dags")

    @router.get("/login")
    def login_form(request: Request, next: str | None = None) -> HTMLResponse:  # noqa: A002
        return render(request, session_of(settings, request), "login.html", next=safe_next(next), error=None)

    @router.post("/login")
    def login(request: Request, form: dict[str, str] = Depends(read_form)) -> Any:
        check_origin(request)
        target = safe_next(form.get("next"))
        try:
            authenticate(settings, f"Bearer {form.get('token', '').strip()}")
        except AuthError:
            return render(request, None, "login.html", status=401, next=target,
                          error="That token is not valid.")
        response = _see_other(target)
        set_session_cookie(response, request, form["token"].strip())
        return response

    @router.post("/logout")
    def logout(request: Request, session: UiSession = viewer,
               form: dict[str, str] = Depends(read_form)) -> RedirectResponse:
        check_csrf(request, session, form)
        response = _see_other(LOGIN_PATH)
        clear_session_cookie(response)
        return response

    @router.get("/dags")
    def dag_list(request: Request, session: UiSession = viewer) -> HTMLResponse:
        return render(request, session, "dags.html", view=ui_views.dag_list(settings))

    @router.get("/dags/{dag_id}/grid")
    def grid(request: Request, dag_id: str, session: UiSession = viewer,
             runs: int = Query(default=ui_views.DEFAULT_GRID_RUNS, ge=1, le=ui_views.MAX_GRID_RUNS)
             ) -> HTMLResponse:
        return render(request, session, "grid.html", view=ui_views.grid(settings, dag_id, runs),
                      choices=sorted({*GRID_CHOICES, runs}))

    @router.get("/dags/{dag_id}/graph")
    def graph(request: Request, dag_id: str, session: UiSession = viewer,
              run_id: str | None = None) -> HTMLResponse:
        return render(request, session, "graph.html", view=ui_views.graph(settings, dag_id, run_id),
                      follow_latest=run_id is None)

    @router.get("/runs/{run_id}")
    def run(request: Request, run_id: str, session: UiSession = viewer) -> HTMLResponse:
        return render(request, session, "run.html", view=ui_views.run_view(settings, run_id))

    @router.get("/runs/{run_id}/tasks/{task_id}/logs")
    def task_log(request: Request, run_id: str, task_id: str, session: UiSession = viewer,
                 try_number: int | None = Query(default=None, alias="try", ge=1),
                 map_index: int = Query(default=-1, ge=-1)) -> HTMLResponse:
        view = ui_views.log_view(settings, run_id, task_id, try_number, map_index)
        return render(request, session, "log.html", view=view)

    @router.post("/dags/{dag_id}/trigger")
    def trigger(request: Request, dag_id: str, session: UiSession = operator,
                form: dict[str, str] = Depends(read_form)) -> RedirectResponse:
        check_csrf(request, session, form)
        created = operate.trigger(settings, dag_id)
        record(session.token, "trigger", dag_id, {"run_id": created.run_id, "via": "ui"})
        return _see_other(f"/ui/dags/{dag_id}/grid")

    def set_paused(request: Request, dag_id: str, session: UiSession, form: dict[str, str],
                   paused: bool) -> RedirectResponse:
        check_csrf(request, session, form)
        operate.set_paused(settings, dag_id, paused)
        record(session.token, "pause" if paused else "unpause", dag_id, {"via": "ui"})
        return _see_other(safe_next(form.get("next")))

    @router.post("/dags/{dag_id}/pause")
    def pause(request: Request, dag_id: str, session: UiSession = operator,
              form: dict[str, str] = Depends(read_form)) -> RedirectResponse:
        return set_paused(request, dag_id, session, form, True)

    @router.post("/dags/{dag_id}/unpause")
    def unpause(request: Request, dag_id: str, session: UiSession = operator,
                form: dict[str, str] = Depends(read_form)) -> RedirectResponse:
        return set_paused(request, dag_id, session, form, False)

    # -- the JSON the pages poll: {"runs": [...], "cells": {run_id: {task_id: state}}} ------
    @router.get("/api/dags")
    def dags_json(_: UiSession = viewer) -> JSONResponse:
        view = ui_views.dag_list(settings)
        runs = [c.to_json() for d in view.dags for c in d.last_runs]
        return JSONResponse({"dags": [d.to_json() for d in view.dags], "runs": runs, "cells": {}})

    @router.get("/api/dags/{dag_id}/grid")
    def grid_json(dag_id: str, _: UiSession = viewer,
                  runs: int = Query(default=ui_views.DEFAULT_GRID_RUNS, ge=1, le=ui_views.MAX_GRID_RUNS)
                  ) -> JSONResponse:
        return JSONResponse(ui_views.grid_json(ui_views.grid(settings, dag_id, runs)))

    @router.get("/api/runs/{run_id}")
    def run_json(run_id: str, _: UiSession = viewer) -> JSONResponse:
        return JSONResponse(ui_views.run_json(ui_views.run_view(settings, run_id)))

    return router
