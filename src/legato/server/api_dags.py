"""/api/v1/dags: list DAGs, pause and unpause one, trigger a run (with an Idempotency-Key).

Pause, unpause and trigger need an operator token and are written to the audit log; the run a
trigger makes is queued for the scheduler. A retried trigger with the same `Idempotency-Key`
answers 200 with the first trigger's run (services/idempotency.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from ..services import audit, operate, ui_views
from ..services.idempotency import MAX_KEY_LENGTH, trigger_once
from ..store.runs import RunRow
from .deps import Operator, SettingsDep, Viewer
from .handlers import user_input
from .models import DagList, Paused, Run, errors

router = APIRouter(tags=["dags"])
DagId = Annotated[str, Path(min_length=1, max_length=250, pattern=r"^[^\x00]+$")]


class TriggerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    logical_date: datetime | date | None = Field(
        default=None, description="ISO date or date-time (naive is UTC); default: now.")
    params: dict[str, Any] | None = Field(default=None, description="Overrides of the DAG's params.")


def run_json(run: RunRow) -> dict[str, Any]:
    def iso(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {"run_id": run.run_id, "dag_id": run.dag_id, "run_type": run.run_type,
            "state": run.state, "logical_date": iso(run.logical_date),
            "data_interval_start": iso(run.data_interval_start),
            "data_interval_end": iso(run.data_interval_end), "params": run.params,
            "created_at": iso(run.created_at), "start_date": iso(run.start_date),
            "end_date": iso(run.end_date), "note": run.note}


@router.get("/dags", response_model=DagList, responses=errors(401))
def list_dags(settings: SettingsDep, _: Viewer) -> dict[str, Any]:
    """The DAGs of the DAGs folder, and the files that failed to import."""
    view = ui_views.dag_list(settings, last=0)
    dags = [{k: v for k, v in d.to_json().items() if k != "last_runs"} for d in view.dags]
    return {"dags": dags, "errors": view.errors}


def _set_paused(settings: Any, token: Any, dag_id: str, paused: bool) -> dict[str, Any]:
    operate.set_paused(settings, dag_id, paused)
    audit.record(settings, token, "pause" if paused else "unpause", dag_id)
    return {"dag_id": dag_id, "is_paused": paused}


@router.post("/dags/{dag_id}/pause", response_model=Paused, responses=errors(401, 403, 404, 422))
def pause(dag_id: DagId, settings: SettingsDep, token: Operator) -> dict[str, Any]:
    """The scheduler starts no new run of a paused DAG."""
    return _set_paused(settings, token, dag_id, True)


@router.post("/dags/{dag_id}/unpause", response_model=Paused, responses=errors(401, 403, 404, 422))
def unpause(dag_id: DagId, settings: SettingsDep, token: Operator) -> dict[str, Any]:
    return _set_paused(settings, token, dag_id, False)


def _when(value: datetime | date | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value, time(), UTC)


@router.post("/dags/{dag_id}/runs", status_code=201, response_model=Run,
             responses={200: {"model": Run, "description": "A retry with a known Idempotency-Key: "
                                                           "the first trigger's run, as it is now."},
                        **errors(400, 401, 403, 404, 409, 413, 422)})
def trigger(dag_id: DagId, response: Response, settings: SettingsDep, token: Operator,
            body: TriggerBody | None = None,
            idempotency_key: Annotated[str | None, Header(max_length=MAX_KEY_LENGTH)] = None,
            ) -> dict[str, Any]:
    """Queue a manual run; the scheduler starts it (respecting max_active_runs and pause)."""
    body = body or TriggerBody()
    when = _when(body.logical_date)

    def create() -> RunRow:
        with user_input():
            return operate.trigger(settings, dag_id, when, body.params)

    run, created = trigger_once(settings, dag_id, idempotency_key, create)
    if created:
        audit.record(settings, token, "trigger", dag_id,
                     {"run_id": run.run_id, "logical_date": when.isoformat() if when else None,
                      "params": body.params, "idempotency_key": idempotency_key})
    else:
        response.status_code = 200
    return run_json(run)
