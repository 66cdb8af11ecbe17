"""/api/v1 operator actions on a run: clear, retry from failure, mark, cancel, note.

Operators only (viewers get 403); each call is audited with who, what, the run and the tasks
(services/run_ops.py writes the audit row in the transaction of the change). A run driven by
a scheduler gets the change as a request its owner applies; the answer comes once it is
applied (or says `applied: false` if the owner has not applied it within 15 s).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from ..services import run_ops
from ..services.audit import actor
from .api_dags import run_json
from .api_runs import NO_NUL, RunId
from .deps import Operator, SettingsDep
from .models import Run, errors

router = APIRouter(tags=["runs"])
TaskIds = Annotated[list[Annotated[str, Field(min_length=1, max_length=250, pattern=NO_NUL)]],
                    Field(min_length=1, max_length=1000)]


class ClearBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    task_ids: TaskIds
    downstream: bool = False
    upstream: bool = False
    only_failed: bool = False
    dry_run: bool = False


class RetryBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dry_run: bool = False


class MarkBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    state: Literal["success", "failed", "skipped"]
    downstream: bool = False
    upstream: bool = False


class NoteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Annotated[str | None, Field(max_length=10_000)] = None


class ActionOut(BaseModel):
    run_id: str
    task_ids: list[str]
    state: str | None = None
    applied: bool = True


@router.post("/runs/{run_id}/clear", response_model=ActionOut,
             responses=errors(400, 401, 403, 404, 422))
def clear(run_id: RunId, body: ClearBody, settings: SettingsDep, token: Operator) -> dict[str, Any]:
    """Run tasks again in the same run (with their downstream/upstream, or only the failed
    ones); `dry_run` only says which."""
    return run_ops.clear(settings, run_id, body.task_ids, downstream=body.downstream,
                         upstream=body.upstream, only_failed=body.only_failed,
                         dry_run=body.dry_run, who=actor(token)).to_json()


@router.post("/runs/{run_id}/retry", response_model=ActionOut,
             responses=errors(400, 401, 403, 404, 422))
def retry(run_id: RunId, settings: SettingsDep, token: Operator,
          body: RetryBody | None = None) -> dict[str, Any]:
    """Re-run from failure: every failed or upstream_failed task and what depends on them."""
    return run_ops.retry(settings, run_id, dry_run=bool(body and body.dry_run),
                         who=actor(token)).to_json()


@router.post("/runs/{run_id}/tasks/{task_id}/mark", response_model=ActionOut,
             responses=errors(400, 401, 403, 404, 422))
def mark(run_id: RunId, body: MarkBody, settings: SettingsDep, token: Operator,
         task_id: Annotated[str, Path(min_length=1, max_length=250, pattern=NO_NUL)]
         ) -> dict[str, Any]:
    """Set a task's state (and its downstream/upstream's) without running it."""
    return run_ops.mark(settings, run_id, [task_id], body.state, downstream=body.downstream,
                        upstream=body.upstream, who=actor(token)).to_json()


@router.post("/runs/{run_id}/cancel", response_model=ActionOut,
             responses=errors(401, 403, 404, 409, 422))
def cancel(run_id: RunId, settings: SettingsDep, token: Operator) -> dict[str, Any]:
    """End a queued or running run `cancelled`; 409 if it already ended."""
    return run_ops.cancel(settings, run_id, who=actor(token)).to_json()


@router.patch("/runs/{run_id}", response_model=Run, responses=errors(400, 401, 403, 404, 422))
def set_note(run_id: RunId, body: NoteBody, settings: SettingsDep,
             token: Operator) -> dict[str, Any]:
    """The run's note (null or "" removes it)."""
    return run_json(run_ops.set_note(settings, run_id, body.note, who=actor(token)))
