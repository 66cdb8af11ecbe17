"""Rendering a UI page: the Jinja2 environment (autoescaped, strict), the security headers,
the navigation, and the error page (which keeps the navigation and never shows a server path)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from ...services import ui_format as formatting
from ...store.tokens import TokenRow
from .session import UiSession

HERE = Path(__file__).parent
NAV = (("DAGs", "/ui/dags"), ("Incidents", "/ui/incidents"), ("Dead letters", "/ui/dlq"),
       ("Quality", "/ui/quality"), ("Datasets", "/ui/datasets"))
ADMIN_NAV = (("Admin", "/ui/admin"),)
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
                               "form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
STATES = ("success", "running", "failed", "up_for_retry", "upstream_failed", "skipped", "queued",
          "scheduled", "deferred", "removed", "none")
Recorder = Callable[[TokenRow, str, str, "dict[str, Any] | None"], None]


def _q(value: Any) -> str:
    """A path segment: everything escaped, '/' too (ids are data)."""
    return quote(str(value), safe="")


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(when=formatting.when, short_date=formatting.short_date, dur=formatting.duration,
                       q=_q, redact=formatting.redact_paths)
    from .grid_html import grid_body, grid_head
    from .log_html import lines_html

    env.globals.update(STATES=STATES, grid_body=grid_body, grid_head=grid_head, lines_html=lines_html)
    return env


def render(request: Request, session: UiSession | None, template: str, status: int = 200,
           **context: Any) -> HTMLResponse:
    def csrf_field() -> Markup:
        value = session.csrf if session else ""
        return Markup('<input type="hidden" name="csrf" value="{}">').format(value)

    html = environment().get_template(template).render(
        request=request, session=session, nav=NAV, admin_nav=ADMIN_NAV, path=request.url.path,
        csrf_field=csrf_field, **context)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """The error page, with the navigation of the session that asked (when it got that far)."""
    session = getattr(request.state, "ui_session", None)
    return render(request, session, "error.html", status=status, status_code=status,
                  message=formatting.redact_paths(message))


def is_page(request: Request) -> bool:
    """A UI page (HTML errors and login redirects), as opposed to the UI's JSON or the API."""
    path = request.url.path
    return path.startswith("/ui") and not path.startswith("/ui/api/")
