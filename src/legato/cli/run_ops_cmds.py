"""`legato tasks clear|mark` and `legato runs retry|cancel|note`: operating a run in place.

Exit codes as everywhere: 0 done (with --wait: the run succeeded), 1 the run failed (--wait),
2 bad input (an unknown run or task, a finished run cancelled), each with a one-line error.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from typing import Annotated, Any

import typer

from ..config import load_settings
from .output import EXIT_FAILED, EXIT_OK, console, emit_json, exit_abandoning_workers, fail_usage

tasks_app = typer.Typer(help="Operate on a run's tasks: clear, mark.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")]
WaitOpt = Annotated[bool, typer.Option("--wait", help="Drive the run to its end here and print "
                                       "it as `legato run` does.")]


def _do(action: Any) -> Any:
    """Call a service; its user errors become one line and exit 2."""
    from ..errors import UserError

    try:
        return action()
    except (UserError, ValueError) as exc:
        raise fail_usage(str(exc)) from None


def _finish(outcome: Any, wait: bool, as_json: bool, verb: str) -> None:
    if wait:
        _wait_and_print(outcome.run_id, as_json)
        return
    if outcome.state == "queued":
        _warn_if_paused(outcome.run_id)
    if as_json:
        emit_json(outcome.to_json())
        return
    what = ", ".join(outcome.task_ids) or "nothing"
    note = "" if outcome.applied else " (recorded: the process driving the run applies it)"
    console().print(f"{verb} {what} in {outcome.run_id}{note}")


def _warn_if_paused(run_id: str) -> None:
    """A reopened run waits for a scheduler, which leaves a paused DAG's runs alone: say so,
    as `dags trigger` does, rather than let the run sit queued without a word."""
    from ..services import operate, queries

    settings = load_settings()
    dag_id = queries.show_run(settings, run_id).dag_id
    if operate.is_paused(settings, dag_id):
        typer.echo(f"warning: {dag_id} is paused: a scheduler runs {run_id} again once it is "
                   f"unpaused (legato dags unpause {dag_id}), or drive it here with --wait",
                   err=True)


def _wait_and_print(run_id: str, as_json: bool) -> None:
    """Drive the re-opened run here (or follow the scheduler that took it) to its end."""
    from ..services import queries
    from ..services.run_once import RunInterrupted, drive_queued
    from .run_cmd import show_result

    settings = load_settings()
    tasks_output = contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext()
    try:
        with tasks_output:                   # --json: stdout holds the one JSON document
            result = drive_queued(settings, run_id, stop_signals=(signal.SIGINT, signal.SIGTERM))
    except RunInterrupted as stopped:
        print(f"run {stopped.run_id} cancelled (interrupted)", file=sys.stderr, flush=True)
        exit_abandoning_workers(130)
    if result is None:                       # a scheduler drives it: follow it to its end
        result = queries.wait_for_run(settings, run_id)
    show_result(result, as_json)
    raise typer.Exit(EXIT_OK if result.state == "success" else EXIT_FAILED)


def clear(
    run_id: str,
    task_ids: Annotated[list[str], typer.Argument(help="The tasks to run again.")],
    downstream: Annotated[bool, typer.Option("--downstream", help="And what follows them.")] = False,
    upstream: Annotated[bool, typer.Option("--upstream", help="And what precedes them.")] = False,
    only_failed: Annotated[bool, typer.Option("--only-failed",
                                              help="Only those failed or upstream_failed.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would be cleared.")] = False,
    wait: WaitOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Run tasks again in the same run (same run id, dates and params); earlier tries and
    their logs are kept and try numbers go on."""
    from ..services import run_ops

    outcome = _do(lambda: run_ops.clear(load_settings(), run_id, task_ids, downstream=downstream,
                                        upstream=upstream, only_failed=only_failed,
                                        dry_run=dry_run))
    if dry_run:
        emit_json({"run_id": outcome.run_id, "task_ids": outcome.task_ids})
        return
    _finish(outcome, wait, as_json, "cleared")


def mark(
    run_id: str,
    task_ids: Annotated[list[str], typer.Argument(help="The tasks to mark.")],
    state: Annotated[str, typer.Option("--state", help="success, failed or skipped.")],
    downstream: Annotated[bool, typer.Option("--downstream", help="And what follows them.")] = False,
    upstream: Annotated[bool, typer.Option("--upstream", help="And what precedes them.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Set tasks' state without running them; the run's state is recomputed."""
    from ..services import run_ops

    outcome = _do(lambda: run_ops.mark(load_settings(), run_id, task_ids, state,
                                       downstream=downstream, upstream=upstream))
    _finish(outcome, False, as_json, f"marked {state}:")


def retry(run_id: str, wait: WaitOpt = False, as_json: JsonOpt = False,
          dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would run.")] = False,
          ) -> None:
    """Re-run from failure: every failed or upstream_failed task and what depends on them."""
    from ..services import run_ops

    outcome = _do(lambda: run_ops.retry(load_settings(), run_id, dry_run=dry_run))
    if dry_run:
        emit_json({"run_id": outcome.run_id, "task_ids": outcome.task_ids})
        return
    _finish(outcome, wait, as_json, "retrying")


def cancel(run_id: str, as_json: JsonOpt = False) -> None:
    """Stop a queued or running run: it ends `cancelled` (no incident, no failure callback)."""
    from ..services import run_ops

    outcome = _do(lambda: run_ops.cancel(load_settings(), run_id))
    if as_json:
        emit_json(outcome.to_json())
    elif outcome.applied:
        console().print(f"{outcome.run_id} {outcome.state}")
    else:
        console().print(f"cancel of {outcome.run_id} recorded: the process driving it applies it")


def note(run_id: str, text: Annotated[str, typer.Argument(help="The note; '' removes it.")],
         as_json: JsonOpt = False) -> None:
    """A note shown with the run (CLI, API and UI)."""
    from ..services import run_ops

    run = _do(lambda: run_ops.set_note(load_settings(), run_id, text))
    if as_json:
        emit_json({"run_id": run.run_id, "note": run.note})
    else:
        console().print(f"{run.run_id}: {run.note or '(no note)'}")


def register(app: typer.Typer, runs_app: typer.Typer) -> None:
    app.add_typer(tasks_app, name="tasks")
    tasks_app.command("clear")(clear)
    tasks_app.command("mark")(mark)
    runs_app.command("retry")(retry)
    runs_app.command("cancel")(cancel)
    runs_app.command("note")(note)
