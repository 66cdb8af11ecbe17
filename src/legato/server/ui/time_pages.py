"""The time views of a DAG: the Gantt of a run, durations across runs, a calendar of daily
outcomes (services/ui_time.py lays them out; the templates draw SVG, no script)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from ...services import ui_time, ui_views
from .rendering import render
from .routes import UiContext
from .session import UiSession

Id = Annotated[str | None, Query(max_length=250)]


def build(ctx: UiContext) -> APIRouter:
    router = APIRouter()
    settings = ctx.settings

    @router.get("/dags/{dag_id}/gantt")
    def gantt(request: Request, dag_id: str, session: UiSession = ctx.viewer,
              run_id: Id = None) -> HTMLResponse:
        view = ui_time.gantt(settings, dag_id, run_id)
        version = ui_views.run_view(settings, view.run.run_id).version if view.run else ""
        return render(request, session, "gantt.html", view=view, version=version, label_w=ui_time.LABEL_W,
                      chart_w=ui_time.CHART_W, row_h=ui_time.ROW_H)

    @router.get("/dags/{dag_id}/durations")
    def durations(request: Request, dag_id: str, session: UiSession = ctx.viewer, task: Id = None,
                  runs: Annotated[int, Query(ge=1, le=ui_time.MAX_DURATION_RUNS)] = 50) -> HTMLResponse:
        view = ui_time.durations(settings, dag_id, runs, task or None)
        return render(request, session, "durations.html", view=view, runs=runs, label_w=60,
                      chart_w=ui_time.CHART_W)

    @router.get("/dags/{dag_id}/calendar")
    def calendar(request: Request, dag_id: str, session: UiSession = ctx.viewer) -> HTMLResponse:
        return render(request, session, "calendar.html", view=ui_time.calendar(settings, dag_id))

    return router
