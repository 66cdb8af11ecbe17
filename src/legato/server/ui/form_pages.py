"""The trigger form (generated from the DAG's params, with a logical date and a warning when the
DAG is paused) and the backfill form (operator role; both audited like the API's actions).

A trigger is validated before its run exists: any field in error shows the form again (422)
with the message beside the field, and nothing is created.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from ...errors import InvalidInput
from ...services import operate, ui_params
from ...services.ui_views import stored_spec
from .rendering import render
from .routes import UiContext, see_other
from .session import UiSession, check_csrf, read_form


def _logical_date(text: str | None) -> tuple[datetime | None, str | None]:
    """(date, error) of the form's logical date: empty means now; no zone means UTC."""
    text = (text or "").strip()
    if not text:
        return None, None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None, f"{text!r} is not a date and time (YYYY-MM-DDTHH:MM)"
    return (value if value.tzinfo else value.replace(tzinfo=UTC)), None


def build(ctx: UiContext) -> APIRouter:
    router = APIRouter()
    settings = ctx.settings

    def trigger_form(request: Request, session: UiSession, dag_id: str, fields: list[ui_params.ParamField],
                     status: int = 200, **extra: Any) -> HTMLResponse:
        _, paused = stored_spec(settings, dag_id)
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M")
        values = {"logical_date": "", "date_error": None, "unpause": False, **extra}
        return render(request, session, "trigger.html", status=status, dag_id=dag_id, fields=fields,
                      is_paused=paused, now=now, **values)

    @router.get("/dags/{dag_id}/trigger")
    def trigger_page(request: Request, dag_id: str, session: UiSession = ctx.operator) -> HTMLResponse:
        return trigger_form(request, session, dag_id, ui_params.fields_of(operate.find_dag(settings, dag_id)))

    @router.post("/dags/{dag_id}/trigger")
    def trigger(request: Request, dag_id: str, session: UiSession = ctx.operator,
                form: dict[str, str] = Depends(read_form)) -> Any:
        check_csrf(request, session, form)
        dag = operate.find_dag(settings, dag_id)
        params, fields = ui_params.parse(ui_params.fields_of(dag), form)
        when, date_error = _logical_date(form.get("logical_date"))
        if date_error or any(f.error for f in fields):
            return trigger_form(request, session, dag_id, fields, 422, date_error=date_error,
                                logical_date=form.get("logical_date", ""),
                                unpause=form.get("unpause") == "true")
        if form.get("unpause") == "true":
            operate.set_paused(settings, dag_id, False)
            ctx.record(session.token, "unpause", dag_id, {"via": "ui"})
        try:
            created = operate.trigger(settings, dag_id, when, params or None)
        except ValueError as exc:
            return trigger_form(request, session, dag_id, fields, 422, date_error=str(exc),
                                logical_date=form.get("logical_date", ""))
        ctx.record(session.token, "trigger", dag_id, {"run_id": created.run_id, "via": "ui",
                                                      "logical_date": when.isoformat() if when else None,
                                                      "params": params or None})
        return see_other(f"/ui/dags/{_q(dag_id)}/grid")

    _backfill_routes(router, ctx)
    return router


def _q(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def _backfill_routes(router: APIRouter, ctx: UiContext) -> None:
    settings = ctx.settings

    @router.get("/dags/{dag_id}/backfill")
    def backfill_page(request: Request, dag_id: str, session: UiSession = ctx.operator) -> HTMLResponse:
        dag = operate.find_dag(settings, dag_id)
        return render(request, session, "backfill.html", dag_id=dag_id, scheduled=dag.schedule is not None,
                      start="", end="", rerun=False, error=None, created=None)

    @router.post("/dags/{dag_id}/backfill")
    def backfill(request: Request, dag_id: str, session: UiSession = ctx.operator,
                 form: dict[str, str] = Depends(read_form)) -> Any:
        check_csrf(request, session, form)
        dag = operate.find_dag(settings, dag_id)
        start, end = form.get("start", "").strip(), form.get("end", "").strip()
        rerun = form.get("rerun") == "all"
        try:
            if not start or not end:
                raise InvalidInput("give both the first and the last date of the range")
            created = operate.backfill(settings, dag_id, start, end, rerun=rerun)
        except ValueError as exc:
            return render(request, session, "backfill.html", status=422, dag_id=dag_id, start=start, end=end,
                          scheduled=dag.schedule is not None, rerun=rerun, error=str(exc), created=None)
        ctx.record(session.token, "backfill", dag_id, {"via": "ui", "start": start, "end": end,
                                                       "rerun": rerun, "runs": [r.run_id for r in created]})
        return render(request, session, "backfill.html", dag_id=dag_id, start=start, end=end, rerun=rerun,
                      scheduled=True, error=None, created=created)
