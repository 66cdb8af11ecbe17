"""Reading a finished (or running) run back from the store as a RunResult."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..engine.result import RunResult, TaskResult
from ..store import results as result_store
from ..store import runs as run_store
from ..store import tries as try_store
from ..store import xcom as xcom_store
from ..store.tries import InstanceOutcome


class RunNotFound(LookupError):
    pass


def _aggregate(states: list[str]) -> str:
    for s in ("failed", "upstream_failed", "running", "queued", "up_for_retry", "scheduled"):
        if s in states:
            return s
    return "success" if "success" in states else (states[0] if states else "skipped")


def _load_result(engine: sa.Engine, run_id: str, task_id: str, mapped: bool,
                 results_dir: Path) -> Any:
    with engine.connect() as conn:
        rows = xcom_store.read(conn, run_id, task_id, "return_value")
    values = [result_store.decode(i, p, results_dir) for _, i, p in rows]
    return values if mapped else (values[0] if values else None)


def _loader(engine: sa.Engine, run_id: str, task_id: str, mapped: bool,
            results_dir: Path) -> Callable[[], Any]:
    """The task's result, read from the store only when asked for."""
    return partial(_load_result, engine, run_id, task_id, mapped, results_dir)


def _task_result(engine: sa.Engine, run_id: str, task_id: str,
                 rows: list[InstanceOutcome], results_dir: Path,
                 callback_error: str | None) -> TaskResult:
    if len(rows) == 1 and rows[0].map_index < 0:        # the common case, without the folds
        r = rows[0]
        return TaskResult(task_id=task_id, state=r.state, tries=r.try_number, error=r.error,
                          start=r.start_date, end=r.end_date, callback_error=callback_error,
                          _load=_loader(engine, run_id, task_id, False, results_dir))
    starts = [r.start_date for r in rows if r.start_date]
    ends = [r.end_date for r in rows if r.end_date]
    errors = [r.error for r in rows if r.error]
    return TaskResult(
        task_id=task_id, state=_aggregate([r.state for r in rows]),
        tries=max(r.try_number for r in rows), error=errors[0] if errors else None,
        start=min(starts) if starts else None, end=max(ends) if ends else None,
        map_indexes=tuple(r.map_index for r in rows if r.map_index >= 0),
        callback_error=callback_error,
        _load=_loader(engine, run_id, task_id, any(r.map_index >= 0 for r in rows),
                      results_dir),
    )


def _started_first(task: TaskResult) -> tuple[float, str]:
    """Tasks in the order they started (never started last), by name among equals; compared
    as floats: sorting 10,000 aware datetimes cost a tenth of a 10,000-task run."""
    return (task.start.timestamp() if task.start else math.inf, task.task_id)


def load_run_result(engine: sa.Engine, run_id: str, results_dir: Path) -> RunResult:
    with engine.connect() as conn:
        run = run_store.get_run(conn, run_id)
        if run is None:
            raise RunNotFound(f"no run {run_id!r}")
        rows = try_store.outcomes_of_run(conn, run_id)
        raised = _callback_errors(try_store.callback_errors_of_run(conn, run_id))
    by_task: dict[str, list[InstanceOutcome]] = defaultdict(list)
    for r in rows:
        by_task[r.task_id].append(r)
    results = [_task_result(engine, run_id, t, rs, results_dir, raised.get(t))
               for t, rs in by_task.items()]
    results.sort(key=_started_first)
    tasks = {t.task_id: t for t in results}
    return RunResult(run.dag_id, run.run_id, run.logical_date, run.state, tasks, run.note,
                     run.callback_error)


def _callback_errors(rows: list[tuple[str, int, int, str]]) -> dict[str, str]:
    """What each task's callback raised, by task id: the latest try's of the first map index
    with one (the UI's task page lists every try). A callback never changes a task's state."""
    latest: dict[tuple[str, int], str] = {}
    for task_id, map_index, _, error in rows:          # by try: the last one wins
        latest[(task_id, map_index)] = error
    found: dict[str, str] = {}
    for (task_id, _), error in latest.items():          # by map index: the first one wins
        found.setdefault(task_id, error)
    return found
