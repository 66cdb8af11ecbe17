"""A run, a task instance of it, and a try's log: pages, the live JSON they follow, the log's
text in pieces (to follow a running try) and as a download.

Every task of a run has a page, whatever its state (a task that never ran says why), so each
cell of the grid and each node of the graph leads somewhere. Operators find the run's actions
(clear, mark, retry, cancel, note: run_ops_pages.py) on the run and task pages, which show the
message of an action just done (`?done=`) or the error it met. The log page follows the latest
try: its live topic carries the log's size, and log.js fetches the bytes after what it has.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from ...config import Settings
from ...services import ui_logs, ui_ops, ui_render, ui_task, ui_views
from .rendering import render
from .routes import UiContext
from .session import UiSession

MapIndex = Annotated[int, Query(ge=-1, le=2**31 - 1)]
TryNumber = Annotated[int | None, Query(alias="try", ge=1, le=2**31 - 1)]
Done = Annotated[str | None, Query(max_length=ui_ops.MAX_DONE_CHARS)]   # the message after an action


def task_version(page: ui_task.TaskPage) -> str:
    parts = (page.run.state, page.run.note, page.state, [(t.number, t.state, t.end) for t in page.tries],
             sorted(page.counts.items()), [(n.task_id, n.state) for n in page.upstream + page.downstream])
    return hashlib.sha1(repr(parts).encode()).hexdigest()[:16]


def task_payload(page: ui_task.TaskPage) -> dict[str, Any]:
    return {"runs": {page.run.run_id: page.run.state}, "version": task_version(page)}


def log_payload(ref: ui_logs.LogRef) -> dict[str, Any]:
    log = {"try": ref.try_number, "latest": ref.latest, "state": ref.state, "size": ui_logs.log_size(ref)}
    return {"runs": {ref.run.run_id: ref.run.state}, "log": log}


def run_page(settings: Settings, request: Request, session: UiSession, run_id: str, *, status: int = 200,
             done: str | None = None, error: str | None = None) -> HTMLResponse:
    """The run page, with the message of an action just done or the error it met (drawn as
    the answer to that action's POST, so not live: a live page re-reads its own URL)."""
    view = ui_views.run_view(settings, run_id)
    return render(request, session, "run.html", status=status, view=view, ops=ui_ops,
                  flash=ui_ops.done_text(done), error=error, live=error is None)


def task_page(settings: Settings, request: Request, session: UiSession, run_id: str, task_id: str,
              map_index: int = -1, *, status: int = 200, done: str | None = None,
              error: str | None = None) -> HTMLResponse:
    """A task instance's page, with the message of an action just done or the error it met."""
    page = ui_task.task_page(settings, run_id, task_id, map_index)
    return render(request, session, "task.html", status=status, page=page, version=task_version(page),
                  flash=ui_ops.done_text(done), error=error, live=error is None)


def build(ctx: UiContext) -> APIRouter:
    router = APIRouter()
    settings = ctx.settings

    @router.get("/runs/{run_id}")
    def run(request: Request, run_id: str, session: UiSession = ctx.viewer,
            done: Done = None) -> HTMLResponse:
        return run_page(settings, request, session, run_id, done=done)

    @router.get("/api/runs/{run_id}")
    def run_json(run_id: str, _: UiSession = ctx.viewer) -> JSONResponse:
        return JSONResponse(ui_views.run_json(ui_views.run_view(settings, run_id)))

    ctx.hub.register("/ui/api/runs/{run_id}",
                     lambda p, q: ui_views.run_json(ui_views.run_view(settings, p["run_id"])))

    @router.get("/runs/{run_id}/tasks/{task_id}")
    def task(request: Request, run_id: str, task_id: str, session: UiSession = ctx.viewer,
             map_index: MapIndex = -1, done: Done = None) -> HTMLResponse:
        return task_page(settings, request, session, run_id, task_id, map_index, done=done)

    def task_topic(params: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        map_index = int(query.get("map_index", -1))
        return task_payload(ui_task.task_page(settings, params["run_id"], params["task_id"], map_index))

    @router.get("/api/runs/{run_id}/tasks/{task_id}")
    def task_json(run_id: str, task_id: str, _: UiSession = ctx.viewer,
                  map_index: MapIndex = -1) -> JSONResponse:
        return JSONResponse(task_topic({"run_id": run_id, "task_id": task_id}, {"map_index": str(map_index)}))

    ctx.hub.register("/ui/api/runs/{run_id}/tasks/{task_id}", task_topic)

    @router.get("/runs/{run_id}/tasks/{task_id}/rendered")
    def rendered(request: Request, run_id: str, task_id: str, session: UiSession = ctx.viewer,
                 map_index: MapIndex = -1) -> HTMLResponse:
        page = ui_task.task_page(settings, run_id, task_id, map_index)
        fields, note = ui_render.rendered_fields(settings, page.run, task_id, map_index)
        return render(request, session, "rendered.html", page=page, fields=fields, note=note)

    _log_routes(router, ctx)
    return router


def _log_routes(router: APIRouter, ctx: UiContext) -> None:
    settings = ctx.settings

    @router.get("/runs/{run_id}/tasks/{task_id}/logs")
    def log_page(request: Request, run_id: str, task_id: str, session: UiSession = ctx.viewer,
                 try_number: TryNumber = None, map_index: MapIndex = -1) -> HTMLResponse:
        ref = ui_logs.find_log(settings, run_id, task_id, try_number, map_index)
        chunk = ui_logs.read_chunk(ref)
        return render(request, session, "log.html", ref=ref, chunk=chunk, follow=try_number is None,
                      lines=chunk.text.splitlines())

    def log_topic(params: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        number = query.get("try")
        ref = ui_logs.find_log(settings, params["run_id"], params["task_id"], int(number) if number else None,
                               int(query.get("map_index", -1)))
        return log_payload(ref)

    @router.get("/api/runs/{run_id}/tasks/{task_id}/log")
    def log_json(run_id: str, task_id: str, _: UiSession = ctx.viewer, try_number: TryNumber = None,
                 map_index: MapIndex = -1) -> JSONResponse:
        query = {"map_index": str(map_index), **({"try": str(try_number)} if try_number else {})}
        return JSONResponse(log_topic({"run_id": run_id, "task_id": task_id}, query))

    ctx.hub.register("/ui/api/runs/{run_id}/tasks/{task_id}/log", log_topic, reads_files=True)

    @router.get("/api/runs/{run_id}/tasks/{task_id}/log/text")
    def log_text(run_id: str, task_id: str, _: UiSession = ctx.viewer, try_number: TryNumber = None,
                 map_index: MapIndex = -1, offset: Annotated[int, Query(ge=0)] = 0) -> JSONResponse:
        ref = ui_logs.find_log(settings, run_id, task_id, try_number, map_index)
        chunk = ui_logs.read_chunk(ref, offset)
        return JSONResponse({"try": ref.try_number, "text": chunk.text, "offset": chunk.offset,
                             "next_offset": chunk.next_offset, "size": chunk.size, "exists": chunk.exists,
                             "state": ref.state})

    @router.get("/runs/{run_id}/tasks/{task_id}/logs/download")
    def log_download(run_id: str, task_id: str, _: UiSession = ctx.viewer, try_number: TryNumber = None,
                     map_index: MapIndex = -1) -> Response:
        ref = ui_logs.find_log(settings, run_id, task_id, try_number, map_index)
        text = ui_logs.read_all(ref)
        name = f"{ref.run.dag_id}.{ref.run.run_id}.{ref.label}.try{ref.try_number}.log"
        safe = "".join(ch if ch.isalnum() or ch in "._-[]" else "_" for ch in name)
        return Response(text, media_type="text/plain; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{safe}"',
                                 "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})
