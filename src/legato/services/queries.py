"""Read-side use cases shared by the CLI and the server: runs, tries, logs, DAG files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import errors
from ..config import Settings
from ..engine.dagprocessor import ParseResult
from ..engine.result import RunResult
from ..engine.tasklog import log_path
from ..store import runs as run_store
from ..store import tries as try_store
from ..store.db import open_engine
from .run_results import RunNotFound, load_run_result

NotFound = errors.NotFound          # kept here for the code that imports it from services.queries


def resolve_run_id(settings: Settings, run_id: str) -> str:
    """Accept a full run id or an unambiguous prefix of one."""
    engine = open_engine(settings.database_url)
    with engine.connect() as conn:
        if run_store.get_run(conn, run_id) is not None:
            return run_id
        found = run_store.find_runs_by_prefix(conn, run_id)
    if len(found) == 1:
        return found[0]
    if not found:
        raise NotFound(f"no run {run_id!r}")
    raise NotFound(f"run id prefix {run_id!r} is ambiguous: {', '.join(found)}, ...")


def list_runs(settings: Settings, dag_id: str | None = None,
              limit: int = 50) -> list[run_store.RunRow]:
    with open_engine(settings.database_url).connect() as conn:
        return run_store.list_runs(conn, dag_id=dag_id, limit=limit)


def show_run(settings: Settings, run_id: str) -> RunResult:
    try:
        return load_run_result(open_engine(settings.database_url),
                               resolve_run_id(settings, run_id), settings.results_dir)
    except RunNotFound as exc:
        raise NotFound(str(exc)) from None


def show_run_json(settings: Settings, run_id: str) -> dict[str, Any]:
    """The run as JSON, each task with what its callback raised (`callback_error`)."""
    return show_run(settings, run_id).to_json()


@dataclass(frozen=True)
class LogText:
    run_id: str
    task_id: str
    map_index: int
    try_number: int
    path: Path | None            # None: the log is kept in the try's row
    text: str


def wait_for_run(settings: Settings, run_id: str, poll_s: float = 0.1) -> RunResult:
    """Follow a run driven elsewhere (a scheduler) until it ends; its result."""
    import time

    from ..engine.states import FINISHED_RUN

    engine = open_engine(settings.database_url)
    while True:
        with engine.connect() as conn:
            run = run_store.get_run(conn, run_id)
        if run is None:
            raise NotFound(f"no run {run_id!r}")
        if run.state in FINISHED_RUN:
            return show_run(settings, run_id)
        time.sleep(poll_s)


def read_log(settings: Settings, run_id: str, task_id: str, try_number: int | None = None,
             map_index: int = -1) -> LogText:
    """The log of one try (the latest by default); never reads outside the logs folder, and
    no error message names a path on the server."""
    run_id = resolve_run_id(settings, run_id)
    with open_engine(settings.database_url).connect() as conn:
        run = run_store.get_run(conn, run_id)
        instances = [i for i in try_store.instances_of_run(conn, run_id)
                     if i.task_id == task_id and i.map_index == map_index]
        latest = instances[0].try_number if instances else 0
        number = latest if try_number is None else try_number
        ref = try_store.log_of(conn, run_id, task_id, map_index, number) if number else None
    if run is None or not instances:
        raise NotFound(f"run {run_id!r} has no task {task_id!r}"
                       + ("" if map_index < 0 else f" with map index {map_index}"))
    if number < 1 or number > latest:
        raise NotFound(f"task {task_id!r} in run {run_id!r} has tries 1..{latest}, not {number}")
    if ref is not None and ref.text is not None:        # kept in the try's row
        note = f"[{ref.error}; its last lines follow]\n" if ref.error else ""
        return LogText(run_id, task_id, map_index, number, None, note + ref.text)
    path = log_path(settings.logs_dir, run.dag_id, run_id, task_id, map_index, number).resolve()
    if not path.is_relative_to(settings.logs_dir.resolve()):
        raise NotFound(f"no log for try {number} of {task_id!r} in run {run_id!r}: its path "
                       f"would fall outside the logs folder")
    if not path.is_file():                  # the message never shows a server path
        raise NotFound(f"no log file for try {number} of {task_id!r} in run {run_id!r} "
                       f"(it was not written, or was removed)")
    return LogText(run_id, task_id, map_index, number, path, path.read_text(errors="replace"))


def discover_dags(settings: Settings) -> ParseResult:
    """The DAG files of the DAGs folder as last parsed in child processes (services/dagbag.py):
    never imported here, so a request thread cannot hang on one."""
    from .dagbag import current_dags

    return current_dags(settings)
