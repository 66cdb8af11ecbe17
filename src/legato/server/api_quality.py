"""/api/v1 routes for data quality: dead letters (list, show, fix, discard, replay) and drift
reports. `create_app` mounts the router this builds.

Reads need a viewer token, changes an operator token; fix, discard, replay and pinning a
reference profile are written to the audit log. Bad input is a 4xx with a message
(ValueError -> 400, NotFound -> 404 by the app's handlers; ids are bounded so no database
sees an out-of-range integer).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from ..config import Settings
from ..services import dead_letters, quality
from ..services.queries import NotFound

MAX_ID = 2**31 - 1
LetterId = Annotated[int, Path(ge=1, le=MAX_ID)]


class FixBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    record: Any = Field(description="The corrected record (JSON); replay re-validates it.")


class ReplayBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(default_factory=list,
                                                              max_length=10000)
    dag_id: str | None = Field(default=None, max_length=250)
    all: bool = False


class PinBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    report_id: int | None = Field(default=None, ge=1, le=MAX_ID,
                                  description="Use the profile this drift report saw.")
    records: list[dict[str, Any]] | None = Field(default=None, max_length=1_000_000,
                                                 description="Or profile these records.")


def _text(value: str | None, what: str) -> str | None:
    if value is not None and "\x00" in value:
        raise ValueError(f"{what} may not contain NUL characters")
    return value


def build_router(settings: Settings, require: Callable[[str], Any],
                 record: Callable[..., None]) -> APIRouter:
    """`require(role)` is the auth dependency; `record(token, action, target, detail)` audits."""
    router = APIRouter()
    viewer, operator = require("viewer"), require("operator")

    @router.get("/dlq", dependencies=[viewer])
    def list_dead_letters(
        dag_id: Annotated[str | None, Query(max_length=250)] = None,
        status: Annotated[str | None, Query(max_length=20)] = None,
        task_id: Annotated[str | None, Query(max_length=250)] = None,
        run_id: Annotated[str | None, Query(max_length=250)] = None,
        limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
        offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    ) -> list[dict[str, Any]]:
        letters = dead_letters.list_letters(
            settings, dag_id=_text(dag_id, "dag_id"), status=_text(status, "status"),
            task_id=_text(task_id, "task_id"), run_id=_text(run_id, "run_id"), limit=limit,
            offset=offset)
        return [x.to_json() for x in letters]

    @router.get("/dlq/{letter_id}", dependencies=[viewer])
    def show_dead_letter(letter_id: LetterId) -> dict[str, Any]:
        return dead_letters.show(settings, letter_id).to_json()

    @router.post("/dlq/replay")
    def replay(body: ReplayBody, token: Any = operator) -> dict[str, Any]:
        report = dead_letters.replay(settings, body.ids, dag_id=_text(body.dag_id, "dag_id"),
                                     all_=body.all)
        target = body.dag_id or ("all" if body.all else "ids")
        record(token, "replay", f"dead_letters:{target}",
               {"ids": body.ids, "dag_id": body.dag_id, "all": body.all,
                "replayed": report.replayed, "still_invalid": sorted(report.still_invalid),
                "failed": sorted(report.failed)})
        return report.to_json()

    def fix(letter_id: LetterId, body: FixBody, token: Any = operator) -> dict[str, Any]:
        letter = dead_letters.fix(settings, letter_id, body.record)
        record(token, "fix", f"dead_letter:{letter_id}", {"id": letter_id})
        return letter.to_json()

    # after /dlq/replay, so that POST /dlq/replay is not read as a fix of letter "replay"
    router.put("/dlq/{letter_id}")(fix)
    router.post("/dlq/{letter_id}")(fix)

    @router.post("/dlq/{letter_id}/discard")
    def discard(letter_id: LetterId, token: Any = operator) -> dict[str, Any]:
        letter = dead_letters.discard(settings, letter_id)
        record(token, "discard", f"dead_letter:{letter_id}", {"id": letter_id})
        return letter.to_json()

    @router.get("/quality/reports", dependencies=[viewer])
    def list_reports(
        dataset: Annotated[str | None, Query(max_length=250)] = None,
        status: Annotated[str | None, Query(max_length=20)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[dict[str, Any]]:
        reports = quality.list_reports(settings, dataset=_text(dataset, "dataset"),
                                       status=_text(status, "status"), limit=limit)
        return [r.to_json() for r in reports]

    @router.get("/quality/reports/{report_id}", dependencies=[viewer])
    def show_report(report_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> dict[str, Any]:
        return quality.get_report(settings, report_id).to_json(with_profile=True)

    @router.get("/quality/references/{dataset}", dependencies=[viewer])
    def show_reference(dataset: Annotated[str, Path(max_length=250)]) -> dict[str, Any]:
        ref = quality.get_reference(settings, _text(dataset, "dataset") or "")
        if ref is None:
            raise NotFound(f"no reference profile for dataset {dataset!r}")
        return {"dataset": ref.dataset, "pinned": ref.pinned, "run_id": ref.run_id,
                "created_at": ref.created_at.isoformat(), "profile": ref.profile}

    @router.put("/quality/references/{dataset}")
    def pin_reference(dataset: Annotated[str, Path(max_length=250)], body: PinBody,
                      token: Any = operator) -> dict[str, Any]:
        ref = quality.pin(settings, _text(dataset, "dataset") or "", records=body.records,
                          report_id=body.report_id)
        record(token, "pin", f"dataset:{dataset}"[:250],
               {"report_id": body.report_id, "rows": ref.profile["row_count"]})
        return {"dataset": ref.dataset, "pinned": ref.pinned, "run_id": ref.run_id,
                "created_at": ref.created_at.isoformat(), "profile": ref.profile}

    return router
