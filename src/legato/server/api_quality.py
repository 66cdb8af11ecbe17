"""/api/v1 routes for data quality: dead letters (list, show, fix, discard, replay) and drift
reports and reference profiles.

Reads need a viewer token, changes an operator token; fix, discard, replay and pinning a
reference profile are written to the audit log. Dead letters are shown with secrets masked
(services/dead_letters.py); replay delivers the stored record. Ids are bounded so no database
sees an out-of-range integer.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..errors import NotFound
from ..services import audit, dead_letters, quality
from ..store.dead_letters import STATUSES
from ..store.schema import MAX_ROW_ID
from .deps import Operator, SettingsDep, Viewer
from .models import DeadLetter, DriftReport, Reference, ReplayReport, errors

router = APIRouter(tags=["quality"])
NO_NUL = r"^[^\x00]*$"
LetterId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
Text = Annotated[str | None, Query(max_length=250, pattern=NO_NUL)]
DatasetName = Annotated[str, Path(min_length=1, max_length=250, pattern=r"^[^\x00]+$")]
LetterStatus = Literal[STATUSES]                                    # type: ignore[valid-type]
ReportStatus = Literal[quality.REPORT_STATUSES]                     # type: ignore[valid-type]


class FixBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    record: Any = Field(description="The corrected record (JSON); replay re-validates it.")


class ReplayBody(BaseModel):
    """Which letters to replay: ids, a DAG's, or all (at least one of the three)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"anyOf": [
        {"required": ["ids"], "properties": {"ids": {"minItems": 1}}},
        {"required": ["dag_id"]},
        {"required": ["all"], "properties": {"all": {"const": True}}}]})
    ids: list[Annotated[int, Field(ge=1, le=MAX_ROW_ID)]] = Field(default_factory=list,
                                                                  max_length=10000)
    dag_id: str | None = Field(default=None, max_length=250, pattern=NO_NUL)
    all: bool = False

    @model_validator(mode="after")
    def _chosen(self) -> ReplayBody:
        if not self.ids and self.dag_id is None and not self.all:
            raise ValueError("say which dead letters to replay: ids, dag_id, or all=true")
        return self


class PinFromReport(BaseModel):
    model_config = ConfigDict(extra="forbid")
    report_id: int = Field(ge=1, le=MAX_ROW_ID, description="Use the profile this drift report saw.")


class PinFromRecords(BaseModel):
    model_config = ConfigDict(extra="forbid")
    records: list[dict[str, Any]] = Field(max_length=1_000_000, description="Profile these records.")


def _reference_json(ref: Any) -> dict[str, Any]:
    return {"dataset": ref.dataset, "pinned": ref.pinned, "run_id": ref.run_id,
            "created_at": ref.created_at.isoformat(), "profile": ref.profile}


@router.get("/dlq", response_model=list[DeadLetter], responses=errors(401, 422))
def list_dead_letters(settings: SettingsDep, _: Viewer, dag_id: Text = None,
                      status: LetterStatus | None = None, task_id: Text = None,
                      run_id: Text = None, limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
                      offset: Annotated[int, Query(ge=0, le=MAX_ROW_ID)] = 0) -> list[dict[str, Any]]:
    """Dead letters, oldest first, secrets masked."""
    letters = dead_letters.list_letters(settings, dag_id=dag_id, status=status, task_id=task_id,
                                        run_id=run_id, limit=limit, offset=offset)
    return [x.to_json() for x in letters]


@router.get("/dlq/{letter_id}", response_model=DeadLetter, responses=errors(401, 404, 422))
def show_dead_letter(letter_id: LetterId, settings: SettingsDep, _: Viewer) -> dict[str, Any]:
    return dead_letters.show(settings, letter_id).to_json()


@router.post("/dlq/replay", response_model=ReplayReport, responses=errors(401, 403, 413, 422))
def replay(body: ReplayBody, settings: SettingsDep, token: Operator) -> dict[str, Any]:
    """Re-validate the chosen letters and deliver the ones that pass, each exactly once."""
    report = dead_letters.replay(settings, body.ids, dag_id=body.dag_id, all_=body.all)
    target = body.dag_id or ("all" if body.all else "ids")
    audit.record(settings, token, "replay", f"dead_letters:{target}",
                 {"ids": body.ids, "dag_id": body.dag_id, "all": body.all,
                  "replayed": report.replayed, "still_invalid": sorted(report.still_invalid),
                  "failed": sorted(report.failed)})
    return report.to_json()


def fix(letter_id: LetterId, body: FixBody, settings: SettingsDep, token: Operator) -> dict[str, Any]:
    """Replace a pending letter's record (400 if it is not pending)."""
    letter = dead_letters.fix(settings, letter_id, body.record)
    audit.record(settings, token, "fix", f"dead_letter:{letter_id}", {"id": letter_id})
    return letter.to_json()


# after /dlq/replay, so that POST /dlq/replay is not read as a fix of letter "replay"
router.add_api_route("/dlq/{letter_id}", fix, methods=["PUT"], response_model=DeadLetter,
                     responses=errors(400, 401, 403, 404, 413, 422), name="fix_dead_letter")
router.add_api_route("/dlq/{letter_id}", fix, methods=["POST"], response_model=DeadLetter,
                     responses=errors(400, 401, 403, 404, 413, 422), name="fix_dead_letter_post",
                     summary="Fix Dead Letter (POST, for clients without PUT)")


@router.post("/dlq/{letter_id}/discard", response_model=DeadLetter,
             responses=errors(400, 401, 403, 404, 422))
def discard(letter_id: LetterId, settings: SettingsDep, token: Operator) -> dict[str, Any]:
    """Give up on a pending letter (400 if it is not pending): kept, never replayed."""
    letter = dead_letters.discard(settings, letter_id)
    audit.record(settings, token, "discard", f"dead_letter:{letter_id}", {"id": letter_id})
    return letter.to_json()


@router.get("/quality/reports", response_model=list[DriftReport], responses=errors(401, 422))
def list_reports(settings: SettingsDep, _: Viewer, dataset: Text = None,
                 status: ReportStatus | None = None,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
    """Drift reports, newest first."""
    return [r.to_json() for r in quality.list_reports(settings, dataset=dataset, status=status,
                                                      limit=limit)]


@router.get("/quality/reports/{report_id}", response_model=DriftReport,
            responses=errors(401, 404, 422))
def show_report(report_id: Annotated[int, Path(ge=1, le=MAX_ROW_ID)], settings: SettingsDep,
                _: Viewer) -> dict[str, Any]:
    return quality.get_report(settings, report_id).to_json(with_profile=True)


@router.get("/quality/references/{dataset}", response_model=Reference,
            responses=errors(401, 404, 422))
def show_reference(dataset: DatasetName, settings: SettingsDep, _: Viewer) -> dict[str, Any]:
    """A dataset's reference profile (what the drift gate compares new data with)."""
    ref = quality.get_reference(settings, dataset)
    if ref is None:
        raise NotFound(f"no reference profile for dataset {dataset!r}")
    return _reference_json(ref)


@router.put("/quality/references/{dataset}", response_model=Reference,
            responses=errors(400, 401, 403, 404, 413, 422))
def pin_reference(dataset: DatasetName, body: PinFromReport | PinFromRecords,
                  settings: SettingsDep, token: Operator) -> dict[str, Any]:
    """Pin the reference: the profile a drift report saw, or the profile of records."""
    report_id = body.report_id if isinstance(body, PinFromReport) else None
    records = body.records if isinstance(body, PinFromRecords) else None
    ref = quality.pin(settings, dataset, records=records, report_id=report_id)
    audit.record(settings, token, "pin", f"dataset:{dataset}",
                 {"report_id": report_id, "rows": ref.profile.get("row_count")})
    return _reference_json(ref)
