"""`legato quality reports|show|pin`: drift reports and reference profiles from the shell."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ..config import load_settings
from .common import JsonOpt, user_errors
from .output import console, emit_json, fail_usage, fmt_time, row_id, table

quality_app = typer.Typer(help="Drift reports and reference profiles.", no_args_is_help=True)


def _num(value: Any) -> str:
    return "" if value is None else f"{value:.4f}"


@quality_app.command("reports")
def reports_cmd(
    dataset: Annotated[str | None, typer.Option("--dataset", help="Only this dataset.")] = None,
    status: Annotated[str | None, typer.Option("--status", help="baseline, passed or held.")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Drift reports, newest first."""
    from ..services import quality

    with user_errors():
        found = quality.list_reports(load_settings(), dataset=dataset, status=status, limit=limit)
    if as_json:
        emit_json([r.to_json() for r in found])
        return
    rows = [[r.id, r.status, r.dataset, f"{r.dag_id or ''}.{r.task_id or ''}",
             ", ".join(r.report.get("drifted", [])), _num(r.report.get("max_psi")),
             fmt_time(r.created_at)] for r in found]
    console().print(table(None, ["id", "status", "dataset", "task", "drifted", "max PSI",
                                 "created"], rows))


@quality_app.command("show")
def show_cmd(report_id: int, as_json: JsonOpt = False) -> None:
    """One drift report: PSI and KS per column, and where held data was quarantined."""
    from ..services import quality

    with user_errors():
        report = quality.get_report(load_settings(), row_id(report_id, "drift report"))
    if as_json:
        emit_json(report.to_json(with_profile=True))
        return
    out = console()
    out.print(f"report {report.id} [{report.status}] dataset {report.dataset!r}, run "
              f"{report.run_id}, threshold {report.threshold}", markup=False)
    if report.quarantine_path:
        out.print(f"quarantined at {report.quarantine_path}", markup=False)
    rows = [[name, c.get("kind"), _num(c.get("psi")), _num(c.get("ks")),
             "yes" if c.get("drifted") else "", c.get("reason", "")]
            for name, c in report.report.get("columns", {}).items()]
    out.print(table(None, ["column", "kind", "PSI", "KS", "drifted", "note"], rows))


def _read_records(path: Path) -> list[Any]:
    text = path.read_text()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = [json.loads(line) for line in text.splitlines() if line.strip()]   # JSON lines
    return data if isinstance(data, list) else [data]


@quality_app.command("pin")
def pin_cmd(
    dataset: str,
    file: Annotated[Path | None, typer.Option("--file", help="Records: a JSON list or JSON lines "
                                                             "(e.g. a quarantine file).")] = None,
    report: Annotated[int | None, typer.Option("--report", help="Use the profile this drift "
                                                                "report saw.")] = None,
) -> None:
    """Set a dataset's reference profile (the drift gate compares new data with it)."""
    from ..services import quality

    try:
        records = _read_records(file) if file is not None else None
    except OSError as exc:
        raise fail_usage(f"cannot read {file}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise fail_usage(f"{file} is neither JSON nor JSON lines: {exc}") from None
    with user_errors():
        ref = quality.pin(load_settings(), dataset, records=records,
                          report_id=None if report is None else row_id(report, "drift report"))
    console().print(f"reference of {dataset!r} pinned ({ref.profile['row_count']} rows)",
                    markup=False)
