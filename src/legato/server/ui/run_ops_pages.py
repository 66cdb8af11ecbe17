"""Operating a run from the web UI (issue 12): clear, retry from failure, mark, cancel and the
run's note, posted from the run page and from a task instance's page.

Each action is a POST form under /ui/runs/{run_id}/ (operator role; the session, CSRF token
and Origin checks of every UI form) over services/run_ops.py, which writes the audit row in
the transaction of the change, naming the session's token as who.

Clear and retry first answer with a confirmation page listing exactly the tasks the
service's dry run selects; the confirming form carries that list back. If the selection
differs by then (the run moved on), nothing is cleared and the confirmation is shown again
with the new list. After an action the browser is sent back (303) to the page it came from
with a short message (`?done=...`, see services/ui_ops.py); an error the operator can act on
(an unknown task, a run that already ended, nothing to clear) is shown on that same page with
the error's status — never a 500, never a server path.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response

from ...config import Settings
from ...errors import InvalidInput, UserError
from ...services import run_ops, ui_ops, ui_views
from ...services.audit import actor
from ...services.ui_format import redact_paths
from .ops_pages import read_multi_form
from .rendering import render
from .routes import UiContext, see_other
from .run_pages import run_page, task_page
from .session import UiSession, check_csrf

RunId = Annotated[str, Path(min_length=1, max_length=250)]
Form = dict[str, list[str]]
Action = Callable[["Origin", str], Response]                  # (the page posted from, who) -> answer
Act = Callable[[Request, UiSession, str, Form, Action], Response]
MAX_TASK_ID = 250


@dataclass(frozen=True)
class Origin:
    """The page a form was posted from: the run page, or one task instance's page."""

    run_id: str
    task_id: str | None = None
    map_index: int = -1

    @classmethod
    def of(cls, run_id: str, form: Form) -> Origin:
        task_id = _one(form, "back_task") or None
        index = _one(form, "back_map") or "-1"
        if task_id is not None and len(task_id) > MAX_TASK_ID:
            raise InvalidInput("back_task is not a task id")
        if not re.fullmatch(r"-?\d{1,10}", index) or not -1 <= int(index) < 2**31:
            raise InvalidInput(f"back_map is not a map index: {index[:20]!r}")
        return cls(run_id, task_id, int(index))

    def url(self, done: str | None = None) -> str:
        path = f"/ui/runs/{quote(self.run_id, safe='')}"
        if self.task_id is not None:
            path += f"/tasks/{quote(self.task_id, safe='')}"
        query = {**({"map_index": self.map_index} if self.task_id and self.map_index >= 0 else {}),
                 **({"done": done} if done else {})}
        return path + (f"?{urlencode(query)}" if query else "")


def _one(form: Form, name: str) -> str:
    return (form.get(name) or [""])[0]


def _flag(form: Form, name: str) -> bool:
    return _one(form, name) in ("on", "true", "1")


def _task_ids(form: Form) -> list[str]:
    ids = [t for t in form.get("task_id", []) if t]
    bad = [t for t in ids if len(t) > MAX_TASK_ID or "\x00" in t]
    if bad:
        raise InvalidInput(f"not a task id: {bad[0][:40]!r}")
    return list(dict.fromkeys(ids))


def _every_task(settings: Settings, run_id: str) -> list[str]:
    """No task ticked on the run page means every task of the run."""
    view = ui_views.run_view(settings, run_id)
    return list(ui_ops.task_states(view)) or list(view.order)


def _error_page(settings: Settings, request: Request, session: UiSession, origin: Origin,
                exc: UserError) -> HTMLResponse:
    """The page the form came from, with the error on it (the plain error page if that page
    itself cannot be drawn, e.g. for a run that does not exist)."""
    message = redact_paths(exc.message)
    try:
        if origin.task_id is not None:
            return task_page(settings, request, session, origin.run_id, origin.task_id, origin.map_index,
                             status=exc.status, error=message)
        return run_page(settings, request, session, origin.run_id, status=exc.status, error=message)
    except UserError:
        raise exc from None


def build(ctx: UiContext) -> APIRouter:
    router = APIRouter()
    settings = ctx.settings

    def act(request: Request, session: UiSession, run_id: str, form: Form, action: Action) -> Response:
        """Check the form, run `action(origin, who)` and answer with its page or the error."""
        check_csrf(request, session, {k: v[0] for k, v in form.items()})
        origin = Origin.of(run_id, form)
        try:
            return action(origin, actor(session.token))
        except UserError as exc:
            return _error_page(settings, request, session, origin, exc)

    @router.post("/runs/{run_id}/clear")
    def clear(request: Request, run_id: RunId, session: UiSession = ctx.operator,
              form: Form = Depends(read_multi_form)) -> Response:
        def go(origin: Origin, who: str) -> Response:
            picked = _task_ids(form)
            task_ids = picked or _every_task(settings, run_id)
            options = {name: _flag(form, name) for name in ui_ops.OPTIONS}
            planned = run_ops.clear(settings, run_id, task_ids, dry_run=True, who=who, **options)
            confirmed = _one(form, "confirm")
            if not confirmed or confirmed.split(",") != planned.task_ids:
                return _confirm(settings, request, session, origin, planned, "clear", task_ids=picked,
                                options=options, changed=bool(confirmed))
            done = run_ops.clear(settings, run_id, task_ids, who=who, **options)
            return see_other(origin.url(ui_ops.done_code("clear", len(done.task_ids), applied=done.applied)))
        return act(request, session, run_id, form, go)

    @router.post("/runs/{run_id}/retry")
    def retry(request: Request, run_id: RunId, session: UiSession = ctx.operator,
              form: Form = Depends(read_multi_form)) -> Response:
        def go(origin: Origin, who: str) -> Response:
            planned = run_ops.retry(settings, run_id, dry_run=True, who=who)
            confirmed = _one(form, "confirm")
            if not confirmed or confirmed.split(",") != planned.task_ids:
                return _confirm(settings, request, session, origin, planned, "retry", changed=bool(confirmed))
            done = run_ops.retry(settings, run_id, who=who)
            return see_other(origin.url(ui_ops.done_code("retry", len(done.task_ids), applied=done.applied)))
        return act(request, session, run_id, form, go)

    _direct_routes(router, ctx, act)
    return router


def _direct_routes(router: APIRouter, ctx: UiContext, act: Act) -> None:
    """The actions that need no list to confirm: mark, cancel, note (a browser dialog asks
    before mark and cancel)."""
    settings = ctx.settings

    @router.post("/runs/{run_id}/mark")
    def mark(request: Request, run_id: RunId, session: UiSession = ctx.operator,
             form: Form = Depends(read_multi_form)) -> Response:
        def go(origin: Origin, who: str) -> Response:
            state = _one(form, "state")
            if state not in ui_ops.MARK_CHOICES:
                choices = " or ".join(ui_ops.MARK_CHOICES)
                raise InvalidInput(f"a task can be marked {choices} here, not {state[:20]!r}")
            task_ids = _task_ids(form) or _every_task(settings, run_id)
            done = run_ops.mark(settings, run_id, task_ids, state, downstream=_flag(form, "downstream"),
                                upstream=_flag(form, "upstream"), who=who)
            code = ui_ops.done_code("mark", len(done.task_ids), state, applied=done.applied)
            return see_other(origin.url(code))
        return act(request, session, run_id, form, go)

    @router.post("/runs/{run_id}/cancel")
    def cancel(request: Request, run_id: RunId, session: UiSession = ctx.operator,
               form: Form = Depends(read_multi_form)) -> Response:
        def go(origin: Origin, who: str) -> Response:
            done = run_ops.cancel(settings, run_id, who=who)
            return see_other(origin.url(ui_ops.done_code("cancel", applied=done.applied)))
        return act(request, session, run_id, form, go)

    @router.post("/runs/{run_id}/note")
    def note(request: Request, run_id: RunId, session: UiSession = ctx.operator,
             form: Form = Depends(read_multi_form)) -> Response:
        def go(origin: Origin, who: str) -> Response:
            row = run_ops.set_note(settings, run_id, _one(form, "note"), who=who)
            return see_other(origin.url(ui_ops.done_code("note", state=None if row.note else "removed")))
        return act(request, session, run_id, form, go)


def _confirm(settings: Settings, request: Request, session: UiSession, origin: Origin,
             planned: run_ops.Outcome, action: str, *, task_ids: list[str] | None = None,
             options: dict[str, bool] | None = None, changed: bool = False) -> HTMLResponse:
    """The confirmation page: the tasks the dry run selected, each with its state now."""
    view = ui_views.run_view(settings, planned.run_id)
    states = ui_ops.task_states(view)
    listed = [(t, states.get(t, "none")) for t in planned.task_ids]
    return render(request, session, "confirm_clear.html", action=action, origin=origin, run=view.run,
                  listed=listed, waiting=ui_ops.waiting_tasks(view), task_ids=task_ids or [],
                  options=options or {}, changed=changed)
