"""DAG-level callbacks: `on_success_callback` / `on_failure_callback` of a DAG, called once
for each run that ends `success` or `failed` (never for a cancelled run: that is deliberate).

They get the same kind of Context a task callback gets, built as Airflow builds a DAG
callback's: for the run's last failed task instance (on failure) or its last finished one
(on success), with `reason` ("success" or "task_failure") and `exception` (that task's
error). A callback that raises is logged and recorded on the run (`dag_runs.callback_error`),
so it shows where the run is shown.

Where they run: `dag.run()` calls them in its own process, which has the DAG object. A
scheduler never imports a DAG file, so `CallbackRunner` runs each in a child interpreter
(`python -m legato.engine.dag_callbacks FILE DAG_ID RUN_ID STATE`), which imports the file,
calls the callback and exits, killed if it outlives LEGATO_DAG_IMPORT_TIMEOUT_S.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..store import runs as run_store
from ..store import tries as try_store
from ..store.db import open_engine
from .bus import Bus, RunFinished
from .executors.base import TryRequest

log = logging.getLogger("legato.callbacks")
REASONS = {"success": "success", "failed": "task_failure"}


def _relevant(instances: list[try_store.InstanceRow], state: str) -> try_store.InstanceRow | None:
    """Airflow's choice: a failed run's last failed instance (else its last upstream_failed
    one), a successful run's last instance to end."""
    pool = instances
    if state == "failed":
        pool = ([i for i in instances if i.state == "failed"]
                or [i for i in instances if i.state == "upstream_failed"] or instances)
    ended = [i for i in pool if i.end_date is not None]
    if ended:
        return max(ended, key=lambda i: i.end_date)  # type: ignore[arg-type,return-value]
    return pool[0] if pool else None


def callback_context(dag: Any, run: run_store.RunRow, instances: list[try_store.InstanceRow],
                     state: str, home: str, database_url: str) -> Any:
    """The Context a DAG callback of `run` gets (see the module docstring)."""
    from .runner import _build_context, _XCom

    inst = _relevant(instances, state)
    task_id = inst.task_id if inst is not None and inst.task_id in dag.tasks \
        else next(iter(dag.tasks))
    req = TryRequest(
        dag_id=dag.dag_id, fileloc=dag.fileloc, run_id=run.run_id, task_id=task_id,
        map_index=inst.map_index if inst is not None else -1,
        try_number=max(inst.try_number if inst is not None else 0, 1),
        retries=0, logical_date=run.logical_date.isoformat(),
        data_interval_start=run.data_interval_start.isoformat(),
        data_interval_end=run.data_interval_end.isoformat(), params=run.params,
        event=run.event, timeout_s=None, home=home, database_url=database_url)
    ctx = _build_context(req, dag.tasks[task_id], _XCom(req, dag, Path(home) / "results"))
    ctx.exception = inst.error if inst is not None and state == "failed" else None
    ctx.reason = REASONS.get(state, state)
    ctx.state = state
    ctx.extra_keys = ("exception", "reason", "state")
    return ctx


def call_dag_callback(dag: Any, run_id: str, state: str, home: str,
                      database_url: str) -> str | None:
    """Call the DAG's callback for a run that ended in `state`; the error text if it raised
    (also recorded on the run), None otherwise."""
    fn = getattr(dag, f"on_{'success' if state == 'success' else 'failure'}_callback", None)
    if fn is None or state not in REASONS:
        return None
    engine = open_engine(database_url)
    with engine.connect() as conn:
        run = run_store.get_run(conn, run_id)
        instances = try_store.instances_of_run(conn, run_id)
    if run is None:
        return None
    try:
        fn(callback_context(dag, run, instances, state, home, database_url))
        return None
    except Exception as exc:  # noqa: BLE001 - a callback never changes the run's outcome
        error = f"{type(exc).__name__}: {exc}"
        log.error("DAG %s run %s: its %s callback raised %s", dag.dag_id, run_id,
                  "success" if state == "success" else "failure", error)
        log.debug("%s", "".join(traceback.format_exception(exc)))
        record_error(engine, run_id, error)
        return error


def record_error(engine: sa.Engine, run_id: str, error: str) -> None:
    with engine.begin() as conn:
        run_store.set_callback_error(conn, run_id, error[:4000])


class CallbackRunner:
    """The scheduler's side: on each RunFinished whose DAG defines the callback, run it in a
    child interpreter, on a thread of its own so the loop never waits for user code."""

    def __init__(self, has_callback: Callable[[str, str], str | None], home: str,
                 database_url: str, timeout_s: float) -> None:
        self.has_callback = has_callback          # (dag_id, "on_success"|...) -> file or None
        self.home, self.database_url, self.timeout_s = home, database_url, timeout_s
        self.threads: list[threading.Thread] = []

    def attach(self, bus: Bus) -> CallbackRunner:
        bus.subscribe(RunFinished, self.on_run)
        return self

    def on_run(self, ev: RunFinished) -> None:
        if ev.state not in REASONS:
            return
        fileloc = self.has_callback(ev.dag_id, "on_success" if ev.state == "success"
                                    else "on_failure")
        if fileloc is None:
            return
        thread = threading.Thread(target=self._run_child, name="legato-dag-callback",
                                  args=(fileloc, ev.dag_id, ev.run_id, ev.state), daemon=True)
        self.threads = [t for t in self.threads if t.is_alive()] + [thread]
        thread.start()

    def _run_child(self, fileloc: str, dag_id: str, run_id: str, state: str) -> None:
        env = {**os.environ, "LEGATO_HOME": self.home, "LEGATO_DATABASE_URL": self.database_url}
        proc = subprocess.Popen([sys.executable, "-m", "legato.engine.dag_callbacks", fileloc,
                                 dag_id, run_id, state], env=env, stdin=subprocess.DEVNULL)
        try:
            proc.wait(self.timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            error = f"the callback did not finish within {self.timeout_s:g}s and was stopped"
            log.error("DAG %s run %s: %s", dag_id, run_id, error)
            record_error(open_engine(self.database_url), run_id, error)
            return
        if proc.returncode not in (0, 1):        # 1: it raised, and recorded that itself
            error = f"the callback's process exited with code {proc.returncode}"
            record_error(open_engine(self.database_url), run_id, error)

    def join(self, timeout_s: float) -> None:
        for thread in self.threads:
            thread.join(timeout_s)


def _main(fileloc: str, dag_id: str, run_id: str, state: str) -> int:
    from ..authoring.loader import load_file
    from ..config import load_settings

    settings = load_settings()
    loaded = load_file(fileloc)
    dag = next((d for d in loaded.dags if d.dag_id == dag_id), None)
    if dag is None:
        why = "; ".join(str(e) for e in loaded.errors) or f"no DAG {dag_id!r} in {fileloc}"
        record_error(open_engine(settings.database_url), run_id, f"callback not run: {why}")
        return 1
    error = call_dag_callback(dag, run_id, state, str(settings.home), settings.database_url)
    return 0 if error is None else 1


if __name__ == "__main__":
    code = _main(*sys.argv[1:5])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
