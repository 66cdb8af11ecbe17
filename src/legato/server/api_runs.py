"""/api/v1/runs: list runs, show one with its tasks, and read a task try's log (plain text)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import PlainTextResponse

from ..services import queries
from ..store.schema import MAX_ROW_ID
from .api_dags import run_json
from .deps import SettingsDep, Viewer
from .models import Run, RunDetail, errors

router = APIRouter(tags=["runs"])
NO_NUL = r"^[^\x00]*$"
RunId = Annotated[str, Path(min_length=1, max_length=250, pattern=NO_NUL,
                            description="A run id, or an unambiguous prefix of one.")]


@router.get("/runs", response_model=list[Run], responses=errors(401, 422))
def list_runs(settings: SettingsDep, _: Viewer,
              dag_id: Annotated[str | None, Query(max_length=250, pattern=NO_NUL)] = None,
              limit: Annotated[int, Query(ge=1, le=10000)] = 50) -> list[dict[str, Any]]:
    """The most recent runs, newest first."""
    return [run_json(r) for r in queries.list_runs(settings, dag_id, limit)]


@router.get("/runs/{run_id}", response_model=RunDetail, responses=errors(401, 404, 422))
def show_run(run_id: RunId, settings: SettingsDep, _: Viewer) -> dict[str, Any]:
    """One run with the state of each task (and what a task's callback raised)."""
    return queries.show_run_json(settings, run_id)


@router.get("/runs/{run_id}/tasks/{task_id}/logs", response_class=PlainTextResponse,
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                             "description": "The log of the try, secrets masked.",
                             "headers": {"X-Legato-Try": {"description": "The try shown.",
                                                          "schema": {"type": "integer"}}}},
                       **errors(401, 404, 422)})
def task_log(run_id: RunId, settings: SettingsDep, _: Viewer,
             task_id: Annotated[str, Path(min_length=1, max_length=250, pattern=NO_NUL)],
             try_number: Annotated[int | None, Query(alias="try", ge=1, le=MAX_ROW_ID)] = None,
             map_index: Annotated[int, Query(ge=-1, le=MAX_ROW_ID)] = -1) -> PlainTextResponse:
    """The log of one task try (the latest by default)."""
    found = queries.read_log(settings, run_id, task_id, try_number, map_index)
    return PlainTextResponse(found.text, headers={"X-Legato-Try": str(found.try_number)})
