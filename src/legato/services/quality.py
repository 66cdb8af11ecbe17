"""Drift-report and reference-profile use cases for the CLI and the API."""

from __future__ import annotations

from ..config import Settings
from ..errors import InvalidInput
from ..store import profiles
from ..store.db import open_engine
from .queries import NotFound

REPORT_STATUSES = ("baseline", "passed", "held")


def list_reports(settings: Settings, *, dataset: str | None = None, status: str | None = None,
                 limit: int = 100) -> list[profiles.Report]:
    if status is not None and status not in REPORT_STATUSES:
        raise InvalidInput(f"unknown status {status!r}: use one of {', '.join(REPORT_STATUSES)}")
    with open_engine(settings.database_url).connect() as conn:
        return profiles.list_reports(conn, dataset=dataset, status=status, limit=limit)


def get_report(settings: Settings, report_id: int) -> profiles.Report:
    with open_engine(settings.database_url).connect() as conn:
        report = profiles.get_report(conn, report_id)
    if report is None:
        raise NotFound(f"no drift report {report_id}")
    return report


def get_reference(settings: Settings, dataset: str) -> profiles.Reference | None:
    with open_engine(settings.database_url).connect() as conn:
        return profiles.get_reference(conn, dataset)


def pin(settings: Settings, dataset: str, *, records: list | None = None,
        report_id: int | None = None) -> profiles.Reference:
    """Make a dataset's reference the profile of `records`, or the profile a stored report
    saw (accept a held report's data as the new normal)."""
    from datetime import UTC, datetime

    from ..quality.profile import profile

    if (records is None) == (report_id is None):
        raise InvalidInput("pin from data or from a report, not both or neither")
    if not dataset or "\x00" in dataset:
        raise InvalidInput("a dataset name is required")
    if report_id is not None:
        report = get_report(settings, report_id)
        if report.dataset != dataset:
            raise InvalidInput(f"report {report_id} is of dataset {report.dataset!r}, not {dataset!r}")
        prof, run_id = report.report.get("profile"), report.run_id
        if not prof:
            raise InvalidInput(f"report {report_id} kept no profile")
    else:
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise InvalidInput("data to pin must be a list of JSON objects")
        prof, run_id = profile(records), None
    with open_engine(settings.database_url).begin() as conn:
        profiles.pin_reference(conn, dataset, prof, run_id=run_id, at=datetime.now(UTC))
    ref = get_reference(settings, dataset)
    assert ref is not None
    return ref
