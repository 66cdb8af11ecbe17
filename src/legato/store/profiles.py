"""Reference profiles (one per dataset) and drift reports, for the drift gate and the UI."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from . import dialect
from .schema import quality_references, quality_reports


@dataclass(frozen=True)
class Reference:
    dataset: str
    profile: dict[str, Any]
    pinned: bool
    run_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class Report:
    id: int
    dataset: str
    dag_id: str | None
    task_id: str | None
    run_id: str | None
    status: str
    threshold: float
    report: dict[str, Any]
    quarantine_path: str | None
    created_at: datetime

    def to_json(self, with_profile: bool = False) -> dict[str, Any]:
        body = dict(self.report)
        if not with_profile:
            body.pop("profile", None)
        return {"id": self.id, "dataset": self.dataset, "dag_id": self.dag_id,
                "task_id": self.task_id, "run_id": self.run_id, "status": self.status,
                "threshold": self.threshold, "report": body,
                "quarantine_path": self.quarantine_path, "created_at": self.created_at.isoformat()}


def get_reference(conn: sa.Connection, dataset: str) -> Reference | None:
    r = conn.execute(sa.select(quality_references)
                     .where(quality_references.c.dataset == dataset)).first()
    if r is None:
        return None
    return Reference(r.dataset, json.loads(r.profile_json), bool(r.pinned), r.run_id, r.created_at)


def insert_reference_if_absent(conn: sa.Connection, dataset: str, profile: dict[str, Any], *,
                               run_id: str | None, at: datetime) -> None:
    """The first accepted profile becomes the reference; a concurrent first loses quietly."""
    values = {"dataset": dataset, "profile_json": json.dumps(profile), "pinned": False,
              "run_id": run_id, "created_at": at}
    conn.execute(dialect.insert_ignoring(conn, quality_references, ["dataset"]).values(**values))


def pin_reference(conn: sa.Connection, dataset: str, profile: dict[str, Any], *,
                  run_id: str | None, at: datetime) -> None:
    conn.execute(sa.delete(quality_references).where(quality_references.c.dataset == dataset))
    conn.execute(sa.insert(quality_references).values(
        dataset=dataset, profile_json=json.dumps(profile), pinned=True, run_id=run_id,
        created_at=at))


def insert_report(conn: sa.Connection, *, dataset: str, status: str, threshold: float,
                  report: dict[str, Any], at: datetime, dag_id: str | None = None,
                  task_id: str | None = None, run_id: str | None = None,
                  quarantine_path: str | None = None) -> int:
    result = conn.execute(sa.insert(quality_reports).values(
        dataset=dataset, dag_id=dag_id, task_id=task_id, run_id=run_id, status=status,
        threshold=threshold, report_json=json.dumps(report, default=str),
        quarantine_path=quarantine_path, created_at=at))
    key = result.inserted_primary_key
    assert key is not None                   # a one-row INSERT always reports its key
    return int(key[0])


def _report(r: Any) -> Report:
    return Report(r.id, r.dataset, r.dag_id, r.task_id, r.run_id, r.status, r.threshold,
                  json.loads(r.report_json), r.quarantine_path, r.created_at)


def list_reports(conn: sa.Connection, *, dataset: str | None = None, status: str | None = None,
                 limit: int = 100) -> list[Report]:
    """Newest first."""
    c = quality_reports.c
    q = sa.select(quality_reports).order_by(c.id.desc()).limit(limit)
    if dataset is not None:
        q = q.where(c.dataset == dataset)
    if status is not None:
        q = q.where(c.status == status)
    return [_report(r) for r in conn.execute(q)]


def get_report(conn: sa.Connection, report_id: int) -> Report | None:
    r = conn.execute(sa.select(quality_reports).where(quality_reports.c.id == report_id)).first()
    return None if r is None else _report(r)
