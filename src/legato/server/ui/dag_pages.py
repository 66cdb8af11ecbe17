"""The DAG pages: the list (search, sort), a DAG's grid, graph, details and source code, and
pause / unpause. The grid and the list are live (their JSON is a hub topic, see live.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from ...services import operate, ui_dag, ui_graph, ui_views
from .rendering import render
from .routes import UiContext, see_other
from .session import UiSession, check_csrf, read_form, safe_next

GRID_CHOICES = (25, 50, 100, 250)
Text = Annotated[str | None, Query(max_length=200)]
Runs = Annotated[int, Query(ge=1, le=ui_views.MAX_GRID_RUNS)]


def _grid_url(dag_id: str, runs: int, state: str | None, run_type: str | None) -> str:
    from urllib.parse import quote, urlencode

    query = {"runs": runs, **_filters(state, run_type)}
    return f"/ui/api/dags/{quote(dag_id, safe='')}/grid?{urlencode(query)}"


def _filters(state: str | None, run_type: str | None) -> dict[str, str]:
    return {**({"state": state} if state else {}), **({"run_type": run_type} if run_type else {})}


def dag_list_payload(view: ui_views.DagListView) -> dict[str, Any]:
    runs = [c for d in view.dags for c in d.last_runs]
    return {"set": ui_views.digest(sorted(c.run_id for c in runs)),
            "runs": {c.run_id: c.state for c in runs}}


def build(ctx: UiContext) -> APIRouter:
    router = APIRouter()
    settings = ctx.settings

    @router.get("/dags")
    def dag_list(request: Request, session: UiSession = ctx.viewer, q: Text = None,
                 sort: Annotated[str, Query(max_length=20)] = "dag_id", desc: bool = False,
                 paused: Annotated[str | None, Query(pattern="^(yes|no)?$")] = None) -> HTMLResponse:
        view = ui_views.dag_list(settings)
        shown = ui_views.search_dags(view.dags, q, sort, desc, {"yes": True, "no": False}.get(paused or ""))
        errors = [{**e, "file": ui_views.relative_file(settings, e["file"])} for e in view.errors]
        return render(request, session, "dags.html", dags=shown, total=len(view.dags), errors=errors,
                      q=q or "", sort=sort, desc=desc, paused=paused or "", sorts=ui_views.DAG_SORTS,
                      live=dag_list_payload(view))

    @router.get("/api/dags")
    def dags_json(_: UiSession = ctx.viewer) -> JSONResponse:
        return JSONResponse(dag_list_payload(ui_views.dag_list(settings)))

    ctx.hub.register("/ui/api/dags", lambda p, q: dag_list_payload(ui_views.dag_list(settings)))

    @router.get("/dags/{dag_id}/grid")
    def grid(request: Request, dag_id: str, session: UiSession = ctx.viewer,
             runs: Runs = ui_views.DEFAULT_GRID_RUNS, state: Text = None,
             run_type: Text = None) -> HTMLResponse:
        view = ui_views.grid(settings, dag_id, runs, state=state, run_type=run_type)
        return render(request, session, "grid.html", view=view, choices=sorted({*GRID_CHOICES, runs}),
                      poll=_grid_url(dag_id, runs, view.state_filter, view.type_filter),
                      run_states=ui_views.RUN_STATES, run_types=ui_views.RUN_TYPES)

    def grid_payload(params: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        view = ui_views.grid(settings, params["dag_id"], int(query.get("runs", ui_views.DEFAULT_GRID_RUNS)),
                             state=query.get("state"), run_type=query.get("run_type"))
        return ui_views.grid_json(view)

    @router.get("/api/dags/{dag_id}/grid")
    def grid_json(dag_id: str, _: UiSession = ctx.viewer, runs: Runs = ui_views.DEFAULT_GRID_RUNS,
                  state: Text = None, run_type: Text = None) -> JSONResponse:
        query = {"runs": str(runs), **_filters(state, run_type)}
        return JSONResponse(grid_payload({"dag_id": dag_id}, query))

    ctx.hub.register("/ui/api/dags/{dag_id}/grid", grid_payload)

    @router.get("/dags/{dag_id}/graph")
    def graph(request: Request, dag_id: str, session: UiSession = ctx.viewer,
              run_id: Annotated[str | None, Query(max_length=250)] = None) -> HTMLResponse:
        view = ui_graph.graph(settings, dag_id, run_id)
        poll = (f"/ui/api/runs/{_quote(view.run_id)}" if run_id else _grid_url(dag_id, 1, None, None))
        live_set = ui_views.digest([view.run_id] if view.run_id else []) if run_id is None else None
        return render(request, session, "graph.html", view=view, follow_latest=run_id is None, poll=poll,
                      live_set=live_set)

    @router.get("/dags/{dag_id}")
    def details(request: Request, dag_id: str, session: UiSession = ctx.viewer) -> HTMLResponse:
        return render(request, session, "dag.html", view=ui_dag.details(settings, dag_id))

    @router.get("/dags/{dag_id}/code")
    def code(request: Request, dag_id: str, session: UiSession = ctx.viewer) -> HTMLResponse:
        return render(request, session, "code.html", view=ui_dag.source(settings, dag_id))

    _pause_routes(router, ctx)
    return router


def _quote(value: str | None) -> str:
    from urllib.parse import quote

    return quote(value or "", safe="")


def _pause_routes(router: APIRouter, ctx: UiContext) -> None:
    def set_paused(request: Request, dag_id: str, session: UiSession, form: dict[str, str],
                   paused: bool) -> RedirectResponse:
        check_csrf(request, session, form)
        operate.set_paused(ctx.settings, dag_id, paused)
        ctx.record(session.token, "pause" if paused else "unpause", dag_id, {"via": "ui"})
        return see_other(safe_next(form.get("next")))

    @router.post("/dags/{dag_id}/pause")
    def pause(request: Request, dag_id: str, session: UiSession = ctx.operator,
              form: dict[str, str] = Depends(read_form)) -> RedirectResponse:
        return set_paused(request, dag_id, session, form, True)

    @router.post("/dags/{dag_id}/unpause")
    def unpause(request: Request, dag_id: str, session: UiSession = ctx.operator,
                form: dict[str, str] = Depends(read_form)) -> RedirectResponse:
        return set_paused(request, dag_id, session, form, False)
