"""`legato db clean`: forget finished runs older than a cutoff (rows, logs and result files)."""

from __future__ import annotations

from typing import Annotated

import typer

from ..config import load_settings
from .output import console, emit_json, fail_usage

db_app = typer.Typer(help="The store: retention.", no_args_is_help=True)


@db_app.command("clean")
def clean(
    older_than: Annotated[str, typer.Option("--older-than", help="e.g. 30d, 12h, 2w: finished "
                                            "runs that ended before now minus this go.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count, delete nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
) -> None:
    """Delete finished runs older than --older-than: their rows, log files and result files.
    Incidents, the audit log, dead letters and dataset history are kept."""
    from ..errors import UserError
    from ..services import retention

    try:
        report = retention.clean(load_settings(), retention.parse_age(older_than),
                                 dry_run=dry_run)
    except UserError as exc:
        raise fail_usage(str(exc)) from None
    if as_json:
        emit_json(report.to_json())
        return
    verb = "would delete" if dry_run else "deleted"
    console().print(f"{verb} {report.runs} run(s) that ended before "
                    f"{report.cutoff:%Y-%m-%d %H:%M} UTC, {report.files} file(s), "
                    f"{report.bytes / 1e6:.1f} MB")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
