"""Runs ONE task try inside a worker: context, templates, the call, the result, the log.

The runner never writes the metadata tables. It reads upstream results (a read is safe from
any worker), writes its own log file and, for results over the inline limit, the result file,
then returns a TryFinished for the scheduler to record. Task callbacks run here, after the
try, with the context; their errors are logged and reported with the try
(TryFinished.callback_error) and never change the try's outcome.
"""

from __future__ import annotations

import copy
import functools
import logging
import signal
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from datetime import datetime
from pathlib import Path
from typing import Any

from ..authoring.context import Context, reset_current_context, set_current_context
from ..authoring.errors import Fail, Skip
from ..authoring.task import Task
from ..authoring.templating import has_template, render, template_variables
from ..authoring.variables import reset_resolver, use_resolver
from ..compat.airflow import serving as airflow_serving
from ..config import reset_try_store, use_try_store
from ..retrying import call_with_retries
from ..security.masking import mask, watch_environment
from ..security.secrets import StoreResolver
from ..sensors.signals import Defer, Reschedule
from ..store import results as result_store
from ..store import xcom as xcom_store
from ..store.db import open_engine
from ..store.faults import is_transient
from .executors.base import Outcome, TryFinished, TryRequest, TryStarted
from .registry import get_dag
from .tasklog import (
    TryLog,
    log_path,
    set_current,
    task_logger,
)

worker_log = logging.getLogger("legato.worker")
STORE_ATTEMPTS = 5               # reads of upstream results ride out a dropped connection


@functools.lru_cache(maxsize=8)
def _home_dirs(home: str) -> tuple[Path, Path]:
    """The logs and results folders of a home (built once: pathlib costs ~3 us a try)."""
    return Path(home) / "logs", Path(home) / "results"


@functools.lru_cache(maxsize=16)
def _resolver(database_url: str, home: str) -> StoreResolver:
    """One (stateless) resolver per store, not one per try."""
    return StoreResolver(database_url, home)


class TaskTimeout(Exception):
    """Raised inside a try whose execution_timeout has passed."""


class _XCom:
    """Upstream results read from the store; values pushed by this try kept until it ends."""

    def __init__(self, request: TryRequest, dag: Any, results_dir: Path) -> None:
        self._req = request
        self._dag = dag
        self._results_dir = results_dir
        self.pushed: dict[str, Any] = {}

    def pull(self, task_id: str, key: str) -> Any:
        if task_id == self._req.task_id and key in self.pushed:
            return self.pushed[key]
        spec = self._dag.spec()
        if task_id not in spec.tasks:
            raise KeyError(f"xcom_pull: DAG {self._dag.dag_id!r} has no task {task_id!r}")
        rows = call_with_retries(lambda: self._read(task_id, key), attempts=STORE_ATTEMPTS,
                                 retry_on=is_transient)     # a dropped connection, a restart
        values = [result_store.decode(i, p, self._results_dir) for _, i, p in rows]
        if spec.tasks[task_id].is_mapped:
            return values
        return values[0] if values else None

    def _read(self, task_id: str, key: str) -> list[Any]:
        with open_engine(self._req.database_url).connect() as conn:
            return xcom_store.read(conn, self._req.run_id, task_id, key)

    def push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


def _parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts)


def _build_context(req: TryRequest, task: Task, xcom: _XCom) -> Context:
    deadline = None if req.timeout_s is None else time.monotonic() + req.timeout_s
    ctx = Context(
        dag=task.dag, task=task, run_id=req.run_id, logical_date=_parse(req.logical_date),
        data_interval_start=_parse(req.data_interval_start),
        data_interval_end=_parse(req.data_interval_end), try_number=req.try_number,
        map_index=req.map_index, params=dict(req.params), event=req.event, log=task_logger,
        xcom=xcom, deadline=deadline,
    )
    ctx.sensor_first_poke = req.first_poke  # type: ignore[attr-defined]  # read by sensors
    return ctx


def _rendered(task: Task, ctx: Context) -> Task:
    """A copy of the task with its templated fields rendered (the original stays a template)."""
    if not task.template_fields:
        return task
    if not getattr(task, "template_ext", None) and not hasattr(task, "template_context") \
            and not any(has_template(getattr(task, name)) for name in task.template_fields):
        return task                       # nothing to render (Airflow's .sql files aside)
    variables = template_variables(ctx)
    clone = copy.copy(task)
    for name in task.template_fields:
        setattr(clone, name, render(getattr(task, name), variables))
    return clone


def _check_branch(task: Task, chosen: Any) -> tuple[str, ...]:
    follow = (chosen,) if isinstance(chosen, str) else tuple(chosen or ())
    allowed = set(task.downstream_task_ids)
    unknown = [t for t in follow if t not in allowed]
    if unknown:
        raise Fail(f"branch {task.task_id!r} chose {unknown}, not among its downstream "
                   f"tasks {sorted(allowed)}")
    return follow


def _alarm(timeout_s: float | None) -> bool:
    """In a process's main thread, enforce the timeout with SIGALRM; elsewhere the executor does."""
    if timeout_s is None or threading.current_thread() is not threading.main_thread():
        return False

    def _raise(signum: int, frame: Any) -> None:
        raise TaskTimeout(f"execution_timeout of {timeout_s:g}s exceeded")

    signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    return True


def _call_callback(fn: Callable[[Context], Any] | None, ctx: Context, log: TryLog,
                   which: str) -> str | None:
    """Call a task callback; what it raised as one masked line ("on_failure_callback raised
    ValueError: ..."), recorded with the try, or None."""
    if fn is None:
        return None
    try:
        fn(ctx)
        return None
    except Exception as exc:  # noqa: BLE001 - a callback never changes the outcome
        log.line("ERROR", f"callback {getattr(fn, '__name__', fn)!r} raised {exc!r}")
        text = " ".join(mask(str(exc)).split()) or "(no message)"
        return f"{which} raised {type(exc).__name__}: {text}"[:1000]


def _execute(task: Task, ctx: Context, req: TryRequest, results_dir: Path,
             xcom: _XCom) -> dict[str, Any]:
    """Call the task and encode what it produced; exceptions propagate to the caller."""
    armed = _alarm(req.timeout_s)
    try:
        value = _rendered(task, ctx).execute(ctx)
    finally:
        if armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
    out: dict[str, Any] = {}
    if task.is_branch:
        out["follow"] = _check_branch(task, value)
    base = f"{req.dag_id}/{req.run_id}/{req.task_id}.{req.map_index}"
    if value is not None:
        out["result"] = result_store.encode(
            value, what=f"result of task {req.task_id!r}", results_dir=results_dir,
            relpath=f"{base}.return_value")
    out["pushed"] = tuple(
        (k, result_store.encode(v, what=f"value pushed as {k!r} by task {req.task_id!r}",
                                results_dir=results_dir, relpath=f"{base}.{k}"))
        for k, v in xcom.pushed.items())
    return out


def _outcome_of(exc: BaseException) -> tuple[Outcome, bool]:
    """(state, retryable) for an exception raised by a try."""
    if isinstance(exc, Reschedule):
        return Outcome.RESCHEDULED, False
    if isinstance(exc, Defer):
        return Outcome.DEFERRED, False
    if isinstance(exc, Skip):
        return Outcome.SKIPPED, False
    if isinstance(exc, (Fail, result_store.ResultNotSerializable)):
        return Outcome.FAILED, False
    return Outcome.FAILED, True


def _parked(exc: Reschedule | Defer) -> dict[str, Any]:
    """The TryFinished fields of a sensor that left its worker to wait."""
    if isinstance(exc, Reschedule):
        return {"reschedule_at": exc.at, "first_poke": exc.first_poke}
    return {"trigger": exc.trigger, "first_poke": exc.first_poke,
            "sensor_timeout_s": exc.timeout_s, "soft_fail": exc.soft_fail}


def run_try(req: TryRequest,
            report: Callable[[TryStarted | TryFinished], None] | None = None) -> TryFinished:
    """Run one try to its end, report its start and outcome, and return the outcome; never
    raises for task errors. The log file is written after the outcome is reported."""
    logs, results = _home_dirs(req.home)
    log = TryLog(lambda: log_path(logs, req.dag_id, req.run_id, req.task_id,
                                  req.map_index, req.try_number))
    start = time.time()
    if report is not None:
        report(TryStarted(req.run_id, req.task_id, req.map_index, req.try_number, start))
    log.line("INFO", f"try {req.try_number} of {req.dag_id}.{req.task_id}"
                     f"{'' if req.map_index < 0 else f'[{req.map_index}]'} started")
    watch_environment()                       # LEGATO_CONN_* passwords are masked
    set_current(log)
    resolver = use_resolver(_resolver(req.database_url, req.home))  # ctx.var/conn
    store = use_try_store(req.database_url, req.home)   # dead letters, drift, queues
    fields: dict[str, Any] = {}
    state, error, error_type, retryable = Outcome.SUCCESS, None, None, True
    parked: dict[str, Any] = {}
    ctx: Context | None = None
    try:
        dag = get_dag(req.dag_id, req.fileloc)
        task = dag.tasks[req.task_id]
        xcom = _XCom(req, dag, results)
        ctx = _build_context(req, task, xcom)
        token = set_current_context(ctx)
        try:
            # Airflow tasks may import airflow names at run time; others need no serving
            # (opening it scans sys.modules, a quarter of a no-op try's cost)
            with airflow_serving() if getattr(dag, "serves_airflow", False) else nullcontext():
                fields = _execute(task, ctx, req, results, xcom)
        finally:
            reset_current_context(token)
    except (Reschedule, Defer) as exc:
        state, retryable = _outcome_of(exc)
        parked = _parked(exc)
        log.line("INFO", str(exc))
    except BaseException as exc:  # noqa: BLE001 - everything a task raises is its outcome
        state, retryable = _outcome_of(exc)
        error, error_type = mask(str(exc) or type(exc).__name__), type(exc).__name__
        if isinstance(exc, TaskTimeout) and not str(exc):          # raised by the executor
            error = ("execution_timeout exceeded" if req.timeout_s is None
                     else f"execution_timeout of {req.timeout_s:g}s exceeded")
        level = "INFO" if state == Outcome.SKIPPED else "ERROR"
        log.line(level, f"{error_type}: {error}")
        if state == Outcome.FAILED:
            import traceback

            log.line("ERROR", "".join(traceback.format_exception(exc)).rstrip())
        if not isinstance(exc, Exception):
            retryable = False
    finally:
        set_current(None)
    callback_error = None if ctx is None else _run_callbacks(
        ctx, state, retryable and req.try_number <= req.retries, error, log)
    reset_try_store(store)
    reset_resolver(resolver)
    end = time.time()
    log.line("INFO", f"{state} after {end - start:.3f}s")
    log_text, written, log_error = log.finish()
    if log_error is not None:
        worker_log.error("try %s of %s.%s: %s; its record keeps the log's tail",
                         req.try_number, req.dag_id, req.task_id, log_error)
    finished = TryFinished(
        run_id=req.run_id, task_id=req.task_id, map_index=req.map_index,
        try_number=req.try_number, state=state, start=start, end=end, error=error,
        error_type=error_type, retryable=retryable, result=fields.get("result"),
        pushed=fields.get("pushed", ()), follow=fields.get("follow"), log_path=written,
        log_text=log_text, log_error=log_error, callback_error=callback_error, **parked,
    )
    if report is not None:
        report(finished)
    return finished


def _run_callbacks(ctx: Context, state: str, will_retry: bool, error: str | None,
                   log: TryLog) -> str | None:
    """The try's callback; what it raised (one line), or None."""
    task = ctx.task
    ctx.exception = error
    if state == Outcome.SUCCESS:
        return _call_callback(task.on_success_callback, ctx, log, "on_success_callback")
    if state == Outcome.FAILED:
        which = "on_retry_callback" if will_retry else "on_failure_callback"
        return _call_callback(getattr(task, which), ctx, log, which)
    return None
