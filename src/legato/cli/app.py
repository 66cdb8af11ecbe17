"""The `legato` command as a typer app. Thin: it parses, calls services, and prints.

The console script enters through `cli.main`, which sends `legato run FILE` straight to
`run_cmd` without importing this module (typer, pydantic and every command module).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..config import load_settings
from ..services import queries
from . import (
    airflow_cmds,
    datasets_cmds,
    db_cmds,
    dlq_cmds,
    events_cmds,
    incidents_cmds,
    operate_cmds,
    project_cmds,
    quality_cmds,
    run_ops_cmds,
    secrets_cmds,
    server_cmds,
    up_cmd,
)
from .output import (
    EXIT_OK,
    console,
    duration,
    emit_json,
    fail_usage,
    fmt_time,
    styled,
    table,
)
from .run_cmd import run_command

app = typer.Typer(help="Legato: pipelines as Python code.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)
runs_app = typer.Typer(help="Inspect runs.", no_args_is_help=True)
dags_app = typer.Typer(help="Inspect DAGs.", no_args_is_help=True)
app.add_typer(runs_app, name="runs")
app.add_typer(dags_app, name="dags")
app.add_typer(incidents_cmds.incidents_app, name="incidents")
app.add_typer(dlq_cmds.dlq_app, name="dlq")
app.add_typer(quality_cmds.quality_app, name="quality")
app.add_typer(datasets_cmds.datasets_app, name="datasets")
app.add_typer(events_cmds.events_app, name="events")
app.add_typer(secrets_cmds.connections_app, name="connections")
app.add_typer(secrets_cmds.variables_app, name="variables")
app.add_typer(secrets_cmds.secrets_app, name="secrets")
datasets_cmds.register(app)
project_cmds.register(app)

JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")]


@app.command("run")
def run(
    path: Annotated[Path, typer.Argument(help="A Python file defining one or more DAGs.")],
    dag: Annotated[str | None, typer.Option("--dag", help="The DAG id, if the file has several.")] = None,
    date: Annotated[str | None, typer.Option("--date", help="Logical date (ISO), default now.")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", help="key=value, repeatable.")] = None,
    as_json: JsonOpt = False,
    executor: Annotated[str, typer.Option(help="inline, local, local:process, dask://host:port "
                                          "(a Dask cluster) or dask (a local one).")] = "local",
    retries: Annotated[int | None, typer.Option(
        min=0, help="Override every task's retries for this run (e.g. 0 on a first try).")] = None,
) -> None:
    """Run a DAG once, now, and wait for it: exit 0 on success, 1 on failure, 2 on bad input,
    130 when interrupted (Ctrl-C or SIGTERM cancel the run: it ends `cancelled`)."""
    raise typer.Exit(run_command(path, dag, date, param or [], as_json, executor, retries))


@runs_app.command("list")
def runs_list(
    dag: Annotated[str | None, typer.Option("--dag")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """The most recent runs, newest first."""
    rows = queries.list_runs(load_settings(), dag, limit)
    if as_json:
        emit_json([{"run_id": r.run_id, "dag_id": r.dag_id, "state": r.state,
                    "logical_date": r.logical_date.isoformat(), "run_type": r.run_type,
                    "start": r.start_date, "end": r.end_date} for r in rows])
        return
    console().print(table("runs", ["run id", "dag", "state", "logical date", "took"], [
        [r.run_id, r.dag_id, styled(r.state), fmt_time(r.logical_date),
         duration(r.start_date, r.end_date)] for r in rows]))


@runs_app.command("show")
def runs_show(run_id: str, as_json: JsonOpt = False) -> None:
    """One run with the state of each task (a unique prefix of the id is enough)."""
    settings = load_settings()
    try:
        result = queries.show_run(settings, run_id)
    except queries.NotFound as exc:
        raise fail_usage(str(exc)) from None
    if as_json:
        emit_json(result.to_json())
        return
    rows = [[t, styled(r.state), r.tries, fmt_time(r.start), duration(r.start, r.end),
             (r.error or "")[:80]] for t, r in result.tasks.items()]
    out = console()
    out.print(table(f"{result.dag_id}  {result.run_id}",
                    ["task", "state", "tries", "started", "took", "error"], rows))
    out.print(f"run {styled(result.state)}")
    from .run_cmd import callback_errors_of, callback_line, task_callback_line

    for task_id, error in callback_errors_of(result).items():
        out.print(task_callback_line(task_id, error), markup=False, highlight=False)
    if result.callback_error:
        out.print(callback_line(result.callback_error), markup=False, highlight=False)


@app.command("logs")
def logs(
    run_id: str,
    task_id: str,
    try_number: Annotated[int | None, typer.Option("--try", help="Default: the latest.")] = None,
    map_index: Annotated[int, typer.Option("--map-index")] = -1,
) -> None:
    """Print the log of a task try."""
    try:
        found = queries.read_log(load_settings(), run_id, task_id, try_number, map_index)
    except queries.NotFound as exc:
        raise fail_usage(str(exc)) from None
    typer.echo(found.text, nl=False)


@dags_app.command("list")
def dags_list(as_json: JsonOpt = False) -> None:
    """DAGs in $LEGATO_DAGS (default ./dags); files that fail to import are listed with their error."""
    from ..services.dagbag import fresh_dags

    settings = load_settings()
    loaded = fresh_dags(settings)          # parsed in child processes, never imported here
    dags = [{"dag_id": d.dag_id, "file": d.fileloc, "schedule": d.spec().schedule,
             "tasks": len(d.tasks), "tags": list(d.tags)} for d in loaded.dags]
    errors = [{"file": e.file, "line": e.line, "error": e.message} for e in loaded.errors]
    if as_json:
        emit_json({"dags": dags, "errors": errors})
    else:
        out = console()
        out.print(table(f"DAGs in {settings.dags_folder}", ["dag id", "schedule", "tasks", "file"],
                        [[d["dag_id"], d["schedule"], d["tasks"], d["file"]] for d in dags]))
        for e in loaded.errors:
            out.print(f"[red]import error[/red] {e}")
    raise typer.Exit(EXIT_OK)


@dags_app.command("show")
def dags_show(
    dag_id: str,
    last: Annotated[int, typer.Option("--last", min=0, max=1000, help="How many recent runs.")] = 10,
    as_json: JsonOpt = False,
) -> None:
    """One DAG: schedule, paused, next run, its tasks with their upstream tasks, the last runs."""
    from ..services import ui_views
    from ..services.operate import find_dag

    settings = load_settings()
    try:
        spec = find_dag(settings, dag_id).spec()
    except queries.NotFound as exc:
        raise fail_usage(str(exc)) from None
    summary = next(s for s in ui_views.dag_list(settings, last=last).dags if s.dag_id == dag_id)
    doc = {**summary.to_json(), "tasks": [
        {"task_id": t, "kind": spec.tasks[t].kind, "upstream": list(spec.tasks[t].upstream),
         "retries": spec.tasks[t].retry.retries, "trigger_rule": spec.tasks[t].trigger_rule}
        for t in spec.order]}
    if as_json:
        emit_json(doc)
        return
    out = console()
    out.print(f"[bold]{dag_id}[/bold]  schedule {doc['schedule'] or 'none'}  "
              f"{'[yellow]paused[/yellow]' if doc['is_paused'] else 'active'}  "
              f"next run {doc['next_run'] or '-'}\n{doc['file']}", highlight=False)
    out.print(table("tasks", ["task", "kind", "upstream", "retries", "trigger rule"], [
        [t["task_id"], t["kind"], ", ".join(t["upstream"]), t["retries"], t["trigger_rule"]]
        for t in doc["tasks"]]))
    out.print(table("last runs", ["run id", "state", "logical date", "type"], [
        [c.run_id, styled(c.state), fmt_time(c.logical_date), c.run_type]
        for c in reversed(summary.last_runs)]))


operate_cmds.register(app, dags_app)
run_ops_cmds.register(app, runs_app)
db_cmds.register(app)
airflow_cmds.register(app, dags_app)
server_cmds.register(app)
up_cmd.register(app)


def main() -> None:
    app()
