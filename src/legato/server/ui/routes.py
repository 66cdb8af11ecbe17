"""The web UI: server-rendered pages under /ui, the JSON they follow live under /ui/api.

Pages render Jinja2 templates from ui/templates (autoescaped) with data from the read models
in services/ui_*.py; legato.js keeps them live over server-sent events (live.py: one shared
computation per topic, changes only) and recolours state cells in place, swapping in a freshly
rendered copy of the live region only when the set of runs (or a page's version) changed.

Adding a page is a template and one route function in one of the page modules (dag_pages,
run_pages, run_ops_pages, time_pages, form_pages, admin_pages), each a `build(ctx) -> APIRouter`:

    1. templates/things.html:  {% extends "base.html" %}{% block title %}Things{% endblock %}
                               {% block content %}...{% endblock %}
    2. in the module's `build`:
           @router.get("/things")
           def things(request: Request, session: UiSession = ctx.viewer) -> HTMLResponse:
               return render(request, session, "things.html", things=some_service(ctx.settings))

`ctx.viewer` / `ctx.operator` / `ctx.admin` make the route need a session with that role (no
session: redirect to login; too low a role: 403). A POST action also takes
`form: dict[str, str] = Depends(read_form)` and calls `check_csrf(request, session, form)`
first; its form includes `{{ csrf_field() }}`. A live page registers its JSON with
`ctx.hub.register(pattern, builder)` and names it in `<main data-poll="...">`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse

from ...config import Settings
from ...security import AuthError, authenticate
from .live import LiveHub
from .rendering import HERE, Recorder, error_page, is_page, render
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

__all__ = ["HERE", "Recorder", "UiContext", "build_ui", "error_page", "is_page", "render"]


@dataclass(frozen=True)
class UiContext:
    """What every page module needs: settings, the audit recorder, role checks, the live hub."""

    settings: Settings
    record: Recorder
    hub: LiveHub
    viewer: Any
    operator: Any
    admin: Any


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _context(settings: Settings, record: Recorder) -> UiContext:
    def role(needed: str) -> Any:
        def check(request: Request) -> UiSession:
            return require_session(settings, request, needed)
        return Depends(check)

    return UiContext(settings, record, LiveHub(settings), role("viewer"), role("operator"), role("admin"))


def build_ui(settings: Settings, record: Recorder) -> APIRouter:
    from . import admin_pages, dag_pages, form_pages, run_ops_pages, run_pages, time_pages

    ctx = _context(settings, record)
    router = APIRouter(prefix="/ui", include_in_schema=False)
    _session_routes(router, ctx)
    for module in (dag_pages, run_pages, run_ops_pages, time_pages, form_pages, admin_pages):
        router.include_router(module.build(ctx))
    _ops_topics(ctx)
    return router


def _session_routes(router: APIRouter, ctx: UiContext) -> None:
    settings = ctx.settings

    @router.get("")
    def home(_: UiSession = ctx.viewer) -> RedirectResponse:
        return see_other("/ui/dags")

    @router.get("/login")
    def login_form(request: Request, next: str | None = None) -> HTMLResponse:
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
        response = see_other(target)
        set_session_cookie(response, request, form["token"].strip())
        return response

    @router.post("/logout")
    def logout(request: Request, session: UiSession = ctx.viewer,
               form: dict[str, str] = Depends(read_form)) -> RedirectResponse:
        check_csrf(request, session, form)
        response = see_other(LOGIN_PATH)
        clear_session_cookie(response)
        return response

    @router.get("/api/live")
    async def live(topic: str = Query(min_length=1, max_length=2000), _: UiSession = ctx.viewer,
                   last_event_id: str | None = Header(default=None)) -> StreamingResponse:
        found = ctx.hub.resolve(topic)
        return StreamingResponse(ctx.hub.stream(found, last_event_id), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def _ops_topics(ctx: UiContext) -> None:
    """The incident pages (ops_pages.py) are live too: their JSON, computed by the hub."""
    from ...services import incidents
    from .ops_pages import incident_detail_payload, incident_list_payload

    def incident_list(_: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        return incident_list_payload(ctx.settings, query.get("state", "all"), query.get("dag") or None)

    def incident(params: dict[str, Any], _: dict[str, str]) -> dict[str, Any]:
        return incident_detail_payload(incidents.show_incident(ctx.settings, int(params["incident_id"])))

    ctx.hub.register("/ui/api/incidents", incident_list)
    ctx.hub.register("/ui/api/incidents/{incident_id:int}", incident)
