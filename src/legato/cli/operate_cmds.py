"""`legato scheduler`, `legato dags trigger|pause|unpause` and `legato backfill`."""

from __future__ import annotations

import signal
import threading
from typing import Annotated, Any

import typer

from ..config import load_settings
from ..services.queries import NotFound
from .output import console, emit_json, exit_abandoning_workers, fail_usage, fmt_time, styled
from .run_cmd import parse_params

JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")]


def scheduler(
    executor: Annotated[str, typer.Option(help="local, local:process, dask://host:port "
                                          "(a Dask cluster) or dask (a local one).")] = "local",
    max_workers: Annotated[int | None, typer.Option(help="Worker threads/processes.")] = None,
) -> None:
    """Run the scheduler until interrupted: schedules, triggers, backfills, crash adoption,
    and delivery of incident events (a dispatcher thread beside the loop). SIGTERM stops
    starting tries and waits up to LEGATO_STOP_GRACE_S for those in flight."""
    from ..engine.executors import make_executor
    from ..observability.logs import configure_logging
    from ..services.scheduling import serve

    settings = load_settings()
    configure_logging(settings)                      # LEGATO_LOG_FORMAT=json: JSON lines
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        runner = make_executor(executor, max_workers)
    except ValueError as exc:             # an unknown executor or an unreachable cluster
        raise fail_usage(str(exc)) from None
    console().print(f"legato scheduler: DAGs from {settings.dags_folder}, "
                    f"store {settings.database_url}")
    serve(settings, runner, stop)


def trigger(
    dag_id: str,
    date: Annotated[str | None, typer.Option("--date", help="Logical date, default now.")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", help="key=value.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Queue a manual run for the scheduler to start."""
    from ..services import operate

    settings = load_settings()
    try:
        run = operate.trigger(settings, dag_id, date, parse_params(param or []))
    except (NotFound, ValueError) as exc:
        raise fail_usage(str(exc)) from None
    if operate.is_paused(settings, dag_id):         # as in Airflow: it waits for an unpause
        typer.echo(f"warning: {dag_id} is paused: the scheduler starts this run once it is "
                   f"unpaused (legato dags unpause {dag_id})", err=True)
    if as_json:
        emit_json({"run_id": run.run_id, "dag_id": run.dag_id, "state": run.state,
                   "logical_date": run.logical_date.isoformat()})
    else:
        console().print(f"queued {run.run_id}")


def _pause(dag_id: str, paused: bool) -> None:
    from ..services import operate

    try:
        operate.set_paused(load_settings(), dag_id, paused)
    except NotFound as exc:
        raise fail_usage(str(exc)) from None
    console().print(f"{dag_id} {'paused' if paused else 'unpaused'}")


def pause(dag_id: str) -> None:
    """Stop creating and starting runs of this DAG (running runs finish)."""
    _pause(dag_id, True)


def unpause(dag_id: str) -> None:
    """Resume scheduling this DAG."""
    _pause(dag_id, False)


def backfill(
    dag_id: str,
    start: Annotated[str, typer.Option("--start", help="First logical date (ISO).")],
    end: Annotated[str, typer.Option("--end", help="Last logical date (ISO), inclusive.")],
    rerun: Annotated[bool, typer.Option("--rerun", help="Also re-run dates that succeeded.")] = False,
    wait: Annotated[bool, typer.Option(help="Drive the runs here until they finish.")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Queue one run per interval in the range, then (by default) run them to completion."""
    settings = load_settings()
    from ..services import operate

    try:
        runs = operate.backfill(settings, dag_id, start, end, rerun=rerun)
    except (NotFound, ValueError) as exc:
        raise fail_usage(str(exc)) from None
    if wait and runs:
        from ..engine.executors import make_executor
        from ..services.scheduling import scheduling

        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):     # Ctrl-C cancels what is left of it
            signal.signal(sig, lambda *_: stop.set())
        only = {r.run_id for r in runs}
        with scheduling(settings, make_executor("local"), events=False,
                        only_runs=only) as service:
            service.scheduler.poll_s = 0.2
            service.scheduler.run_until_idle(timeout_s=24 * 3600, stop=stop)
        if stop.is_set():
            console().print(f"backfill of {dag_id} interrupted: its unfinished runs were cancelled")
            exit_abandoning_workers(130)
    if wait and runs:
        runs = _reread(settings, runs)
    if as_json:
        emit_json([{"run_id": r.run_id, "logical_date": r.logical_date.isoformat(),
                    "state": r.state} for r in runs])
        return
    out = console()
    out.print(f"{len(runs)} run(s) {'of' if wait else 'queued for'} {dag_id}")
    for r in runs:
        out.print(f"  {fmt_time(r.logical_date)}  {r.run_id}  {styled(r.state)}")


def _reread(settings: Any, runs: list[Any]) -> list[Any]:
    """The runs as the store has them now (their final states after a waited backfill)."""
    from ..store import runs as run_store
    from ..store.db import open_engine

    with open_engine(settings.database_url).connect() as conn:
        return [run_store.get_run(conn, r.run_id) or r for r in runs]


def register(app: typer.Typer, dags_app: typer.Typer) -> None:
    app.command("scheduler")(scheduler)
    app.command("backfill")(backfill)
    dags_app.command("trigger")(trigger)
    dags_app.command("pause")(pause)
    dags_app.command("unpause")(unpause)
