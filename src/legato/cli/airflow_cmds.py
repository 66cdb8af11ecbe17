"""Commands for people coming from Airflow: `legato airflow check DIR` (a migration report)
and `legato dags test DAG_ID [DATE]` (Airflow's habit; the same as `legato run`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .output import EXIT_FAILED, EXIT_OK, console, emit_json, fail_usage

airflow_app = typer.Typer(help="Airflow DAG files on Legato.", no_args_is_help=True)


@airflow_app.command("check")
def check(
    folder: Annotated[Path, typer.Argument(help="A folder of Airflow DAG files.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
) -> None:
    """Per file: "runs unchanged", or what needs changing. Exit 0 when every file runs
    unchanged, 1 otherwise, 2 on bad input."""
    from ..compat.airflow.check import check_folder

    if not folder.is_dir():
        raise fail_usage(f"{folder} is not a folder")
    reports = check_folder(folder)
    if as_json:
        emit_json([r.to_json() for r in reports])
    else:
        out = console()
        for r in reports:
            if r.runs_unchanged:
                out.print(f"[green]runs unchanged[/green]  {r.file}", highlight=False)
                continue
            head = "[red]does not load[/red]" if r.errors else "[yellow]runs, with changes[/yellow]"
            out.print(f"{head}  {r.file}", highlight=False)
            for line in [*r.errors, *r.changes]:
                out.print(f"    - {line}", highlight=False, soft_wrap=True)
        ok = sum(r.runs_unchanged for r in reports)
        out.print(f"{ok} of {len(reports)} Airflow DAG files run unchanged")
    raise typer.Exit(EXIT_OK if all(r.runs_unchanged for r in reports) else EXIT_FAILED)


def dags_test(
    dag_id: Annotated[str, typer.Argument(help="The DAG id (searched in $LEGATO_DAGS).")],
    logical_date: Annotated[str | None, typer.Argument(help="Logical date (ISO), default now.")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", help="key=value, repeatable.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
    executor: Annotated[str, typer.Option(help="As for `legato run`.")] = "local",
) -> None:
    """Run one DAG once, now, and wait for it (Airflow's `dags test`; same as `legato run`)."""
    from ..config import load_settings
    from ..services.operate import find_dag
    from ..services.queries import NotFound
    from .run_cmd import run_command

    try:
        dag = find_dag(load_settings(), dag_id)
    except NotFound as exc:
        raise fail_usage(str(exc).splitlines()[0]) from None
    raise typer.Exit(run_command(Path(dag.fileloc), dag_id, logical_date, param or [], as_json,
                                 executor))


def register(app: typer.Typer, dags_app: typer.Typer) -> None:
    app.add_typer(airflow_app, name="airflow")
    dags_app.command("test")(dags_test)
