"""`legato run PATH`: run one DAG from a file once, now, with live progress or JSON.

The command people time against a script that calls `dag.run()`, so it has a parser of its
own (`run_from_argv`, argparse) that the console script uses directly: going through the typer
app would import typer, pydantic and every other command first (~150 ms). The typer app's
`run` declares the same options for `legato run --help` and for in-process callers;
tests/cli/test_run_fast_path.py keeps the two in step.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any, NoReturn

from ..authoring.dag import DAG
from ..authoring.errors import DagDefinitionError
from ..authoring.loader import LoadResult, load_file
from ..config import load_settings
from .output import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    ansi_painter,
    duration,
    emit_json,
    exit_abandoning_workers,
    text_table,
)

EXIT_INTERRUPTED = 130           # as a shell reports a process stopped by Ctrl-C


def fail_usage(message: str) -> SystemExit:
    """Print `message` to stderr and return the exit (2) for the caller to raise; a SystemExit,
    not typer's Exit, so that the fast path never imports typer."""
    sys.stderr.write(f"error: {message}\n")
    return SystemExit(EXIT_USAGE)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise fail_usage(f"{message} (see legato run --help)")


def _retries(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is below the minimum of 0")
    return value


def run_parser() -> argparse.ArgumentParser:
    """`legato run`'s options as the typer app declares them (help stays with the app)."""
    parser = _Parser(prog="legato run", add_help=False, allow_abbrev=False)
    parser.add_argument("path", type=Path)
    parser.add_argument("--dag")
    parser.add_argument("--date")
    parser.add_argument("--param", action="append", default=[])
    parser.add_argument("--json", dest="as_json", action="store_true")
    parser.add_argument("--executor", default="local")
    parser.add_argument("--retries", type=_retries)
    return parser


def run_from_argv(argv: list[str]) -> int:
    """`legato run` from its arguments (after `run`), without the typer app; the exit code."""
    args = run_parser().parse_args(argv)
    return run_command(args.path, args.dag, args.date, args.param, args.as_json, args.executor,
                       args.retries)


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """`k=v` pairs; a value that parses as JSON is used as such, else as a string."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise fail_usage(f"--param needs key=value, got {pair!r}")
        try:
            params[key] = json.loads(raw)
        except ValueError:
            params[key] = raw
    return params


def _load_within_deadline(path: Path) -> LoadResult:
    """Import the file here (its tasks run in this process), but give up, with a one-line
    error and exit 2, if the import outlives LEGATO_DAG_IMPORT_TIMEOUT_S: a DAG file that
    never finishes importing must not hang the command."""
    timeout_s = load_settings().dag_import_timeout_s

    def give_up() -> None:
        print(f"error: {path}: importing this file took longer than {timeout_s:g}s "
              "(LEGATO_DAG_IMPORT_TIMEOUT_S); stopped", file=sys.stderr, flush=True)
        os._exit(EXIT_USAGE)

    watchdog = threading.Timer(timeout_s, give_up)
    watchdog.daemon = True
    watchdog.start()
    try:
        return load_file(path)
    finally:
        watchdog.cancel()


def pick_dag(path: Path, dag_id: str | None) -> DAG:
    loaded = _load_within_deadline(path)
    if loaded.errors:
        raise fail_usage(str(loaded.errors[0]))
    if not loaded.dags:
        raise fail_usage(f"{path} defines no DAG")
    if dag_id is None:
        if len(loaded.dags) > 1:
            ids = ", ".join(d.dag_id for d in loaded.dags)
            raise fail_usage(f"{path} defines several DAGs ({ids}); choose one with --dag")
        return loaded.dags[0]
    for dag in loaded.dags:
        if dag.dag_id == dag_id:
            return dag
    raise fail_usage(f"{path} has no DAG {dag_id!r}")


def _progress_run(dag: DAG, kwargs: dict[str, Any]) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[last]}"), transient=True) as progress:
        bar = progress.add_task(dag.dag_id, total=len(dag.tasks), last="")

        def on_task(event: Any) -> None:
            if event.state != "up_for_retry":
                progress.advance(bar)
            progress.update(bar, last=f"{event.task_id}: {event.state}")

        from ..services.run_once import run_dag

        return run_dag(dag, on_task=on_task, **kwargs)


def run_command(path: Path, dag_id: str | None, date: str | None, param: list[str],
                as_json: bool, executor: str, retries: int | None = None) -> int:
    """Run the DAG and print its outcome; the exit code (0 success, 1 failed). Bad input
    raises SystemExit(2); an interrupt ends the process with 130."""
    from ..services.run_once import RunInterrupted, run_dag

    dag = pick_dag(path, dag_id)
    settle_heap()
    kwargs: dict[str, Any] = {"logical_date": date, "params": parse_params(param),
                              "executor": executor, "retries": retries,
                              "stop_signals": (signal.SIGINT, signal.SIGTERM)}
    try:
        if as_json:
            with contextlib.redirect_stdout(sys.stderr):
                result = run_dag(dag, **kwargs)
        elif sys.stdout.isatty():
            result = _progress_run(dag, kwargs)
        else:
            result = run_dag(dag, **kwargs)
    except (DagDefinitionError, ValueError) as exc:
        raise fail_usage(str(exc)) from None
    except RunInterrupted as stopped:
        print(f"run {stopped.run_id} cancelled (interrupted)", file=sys.stderr, flush=True)
        exit_abandoning_workers(EXIT_INTERRUPTED)
    show_result(result, as_json)
    return EXIT_OK if result.state == "success" else EXIT_FAILED


def settle_heap() -> None:
    """Once the imports and the DAG file are loaded: what exists now lives until exit, so it
    is moved out of the collector's sight (`gc.freeze`) and collection resumes for what the
    tasks allocate. A no-op unless `main` switched the collector off for the start-up."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def show_result(result: Any, as_json: bool) -> None:
    """A finished run on stdout: its JSON document, or the summary; either with what a task's
    callback raised (read from its tries)."""
    if as_json:
        emit_json(result.to_json())
    else:
        print_summary(result, callback_errors_of(result))


def callback_errors_of(result: Any) -> dict[str, str]:
    """What each task's callback raised, by task id (tasks whose callbacks did not raise left
    out)."""
    return {t: r.callback_error for t, r in result.tasks.items() if r.callback_error}


SUMMARY_ROWS = 40           # a bigger run is summarized: a table of a thousand rows costs more
                            # to render than the run (and nobody reads it)


def print_summary(result: Any, callback_errors: dict[str, str] | None = None) -> None:
    """The run's tasks as plain aligned text (rich's tables cost more to import than a small
    run takes); a big run as counts by state and the tasks that did not succeed (up to
    SUMMARY_ROWS of them)."""
    tasks = result.tasks
    shown = tasks if len(tasks) <= SUMMARY_ROWS else {
        t: r for t, r in tasks.items() if r.state not in ("success", "skipped")}
    rows = [[tid, r.state, str(r.tries), duration(r.start, r.end),
             (r.error or "").strip().split("\n", 1)[0][:80]]
            for tid, r in list(shown.items())[:SUMMARY_ROWS]]
    paint = ansi_painter()
    lines = [f"{result.dag_id}  {result.run_id}"]
    if rows:
        lines.append(text_table(["task", "state", "tries", "took", "error"], rows, state_column=1))
    if len(tasks) > SUMMARY_ROWS:
        counts: dict[str, int] = {}
        for r in tasks.values():
            counts[r.state] = counts.get(r.state, 0) + 1
        more = len(shown) - len(rows)
        lines.append(f"{len(tasks)} tasks: " + ", ".join(
            f"{n} {paint(s)}" for s, n in sorted(counts.items()))
            + (f" ({more} more not shown: legato runs show {result.run_id})" if more else ""))
    lines.append(f"run {paint(result.state)}")
    lines.extend(task_callback_line(t, e) for t, e in (callback_errors or {}).items())
    if getattr(result, "callback_error", None):
        lines.append(callback_line(result.callback_error))
    print("\n".join(lines), flush=True)


def callback_line(error: str) -> str:
    """The line saying a DAG-level callback raised (it never changes the run's state)."""
    return f"DAG callback raised: {error.strip().splitlines()[0][:200]}"


def task_callback_line(task_id: str, error: str) -> str:
    """The line saying a task's callback raised (it never changes the task's state)."""
    return f"task {task_id}: {error.strip().splitlines()[0][:200]}"
