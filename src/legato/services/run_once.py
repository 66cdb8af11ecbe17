"""Running a DAG once, now, in this process: the use case behind `dag.run()` and `legato run`.

It records the DAG and a new run with all its instances in one transaction, owned by this
call (registered as an owner of kind "run" and heartbeating while it drives the run, so a
scheduler starting meanwhile leaves the run alone), drives the run with a local executor,
calls the DAG-level callbacks from the bus, and returns a RunResult read back from the store
(so what the caller sees is what was committed).

Incidents listen on the run's bus; if the run queued incident events, they are delivered
before returning, for at most `LEGATO_INCIDENTS_DELIVER_S` (default 10 s); what is left stays
in the outbox for a scheduler's dispatcher.
"""

from __future__ import annotations

import random
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from ..authoring.dag import DAG, parse_datetime
from ..authoring.spec import DagSpec
from ..collector import fewer_collections
from ..config import Settings, load_settings
from ..engine import registry
from ..engine.bus import Bus, RunFinished, TaskFinished
from ..engine.dag_callbacks import call_dag_callback
from ..engine.driver import RunDriver
from ..engine.executors import make_executor
from ..engine.executors.base import Wakeup
from ..engine.result import RunResult
from ..engine.runs_create import insert_new_run
from ..engine.states import RunState
from ..errors import NotFound
from ..store import dags as dag_store
from ..store import runs as run_store
from ..store.db import open_engine
from ..store.owners import Owner
from .listeners import attach_all
from .run_results import load_run_result


def with_retries(spec: DagSpec, retries: int) -> DagSpec:
    """`spec` with every task's retries set to `retries` (delays unchanged)."""
    if retries < 0:
        raise ValueError(f"retries must be 0 or more, got {retries}")
    tasks = {t: replace(ts, retry=replace(ts.retry, retries=retries))
             for t, ts in spec.tasks.items()}
    return replace(spec, tasks=tasks)


class RunInterrupted(KeyboardInterrupt):
    """A signal stopped `dag.run()`; the run was cancelled and committed as such first."""

    def __init__(self, run_id: str) -> None:
        super().__init__(f"run {run_id} cancelled: interrupted")
        self.run_id = run_id


@contextmanager
def _stop_on(signals: tuple[signal.Signals, ...], executor: Any) -> Iterator[threading.Event]:
    """An event set by any of `signals` (which also wakes the driver's wait); handlers are
    installed only in the main thread, and restored afterwards."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, frame: Any) -> None:
        stop.set()
        executor.post(Wakeup())             # SimpleQueue.put is safe in a signal handler

    previous = {sig: signal.signal(sig, handler) for sig in signals}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _dag_callbacks(dag: DAG, bus: Bus, settings: Any) -> None:
    """The DAG's own callbacks, in this process (a scheduler runs them in a child instead:
    engine/dag_callbacks.py), with the same context a scheduled run's get."""
    def on_finished(event: RunFinished) -> None:
        call_dag_callback(dag, event.run_id, event.state, str(settings.home),
                          settings.database_url)

    bus.subscribe(RunFinished, on_finished)


@fewer_collections()                 # from the run's rows inserted to its result read back
def run_dag(
    dag: DAG,
    *,
    logical_date: datetime | str | None = None,
    params: Mapping[str, Any] | None = None,
    executor: str = "local",
    max_workers: int | None = None,
    event: Any = None,
    on_task: Callable[[TaskFinished], None] | None = None,
    rng: random.Random | None = None,
    stop_signals: tuple[signal.Signals, ...] = (signal.SIGINT,),
    retries: int | None = None,
) -> RunResult:
    """Run `dag` once, now, in this process (see the module docstring). One of `stop_signals`
    (in the main thread; Ctrl-C by default) cancels the run cleanly — it ends `cancelled`,
    never left `running` for a scheduler to adopt — and raises RunInterrupted. `retries`
    overrides every task's retries for this run (`legato run --retries 0` on a first try)."""
    settings = load_settings()
    engine = open_engine(settings.database_url)
    spec = dag.spec() if retries is None else with_retries(dag.spec(), retries)
    registry.register(dag)
    when = (parse_datetime(logical_date, what="logical_date") if logical_date
            else datetime.now(UTC))
    runner = make_executor(executor, max_workers)   # first: an unreachable cluster leaves no run
    owner = Owner(engine, "run", settings.owner_timeout_s)
    try:
        owner.register()
        if executor == "inline":      # tasks run on the driver's loop: beat from a thread
            owner.start_heartbeat()
        with engine.begin() as conn:        # the run is never seen running without its owner
            run = insert_new_run(conn, dag, when, params=params, event=event, run_type="manual",
                                 state=RunState.RUNNING)
            run_store.set_owner(conn, run.run_id, owner.id)
        drove = _drive(settings, spec, run, runner, owner, dag, on_task, rng, stop_signals,
                       fresh=True)
    finally:
        runner.shutdown()
        owner.release()
    return _finish(settings, run.run_id, drove)


@fewer_collections()
def drive_queued(settings: Settings, run_id: str, *, executor: str = "local",
                 on_task: Callable[[TaskFinished], None] | None = None,
                 stop_signals: tuple[signal.Signals, ...] = (signal.SIGINT,)) -> RunResult | None:
    """Claim a queued run (one an operator cleared, `--wait`) and drive it here to its end, as
    `dag.run()` does; None if a scheduler claimed it first (it drives it then)."""
    engine = open_engine(settings.database_url)
    with engine.connect() as conn:
        run = run_store.get_run(conn, run_id)
        stored = dag_store.stored_spec(conn, run.dag_id) if run is not None else None
    if run is None or stored is None:
        raise NotFound(f"no run {run_id!r}")
    spec = DagSpec.from_json(stored[1])
    runner = make_executor(executor)
    owner = Owner(engine, "run", settings.owner_timeout_s)
    try:
        owner.register()
        if executor == "inline":
            owner.start_heartbeat()
        with engine.begin() as conn:
            if not run_store.claim_run(conn, run_id, datetime.now(UTC), owner.id):
                return None
            run = run_store.get_run(conn, run_id)
        assert run is not None
        drove = _drive(settings, spec, run, runner, owner, None, on_task, None, stop_signals)
    finally:
        runner.shutdown()
        owner.release()
    return _finish(settings, run_id, drove)


@dataclass
class _Drove:
    interrupted: bool
    incidents_emitted: bool


def _drive(settings: Settings, spec: DagSpec, run: run_store.RunRow, runner: Any, owner: Owner,
           dag: DAG | None, on_task: Callable[[TaskFinished], None] | None,
           rng: random.Random | None, stop_signals: tuple[signal.Signals, ...],
           fresh: bool = False) -> _Drove:
    """Drive an owned run to its end in this process, with every listener and the DAG's own
    callbacks (`dag` given, else imported by a worker's registry when a callback is due)."""
    bus = Bus()
    incidents = attach_all(bus, settings).incidents
    _dag_callbacks(dag or _LazyDag(spec), bus, settings)
    if on_task is not None:
        bus.subscribe(TaskFinished, on_task)
    driver = RunDriver(spec=spec, run=run, engine=open_engine(settings.database_url),
                       executor=runner, bus=bus, home=settings.home,
                       database_url=settings.database_url, rng=rng, owner=owner.id)
    if fresh:                           # just inserted here: nothing to read back
        driver.load_new()
    else:
        driver.load()
    with _stop_on(stop_signals, runner) as stop:
        driver.run_to_completion(on_pass=owner.beat_if_due, max_wait_s=owner.heartbeat_s,
                                 stop=stop)
    return _Drove(stop.is_set(), incidents.emitted)


class _LazyDag:
    """The DAG of a run driven from its stored spec: imported only if a callback is due."""

    def __init__(self, spec: DagSpec) -> None:
        self.dag_id, self.fileloc, self._spec = spec.dag_id, spec.fileloc, spec

    def __getattr__(self, name: str) -> Any:
        if name.endswith("_callback") and name.removesuffix("_callback") not in \
                self._spec.dag_callbacks:
            return None
        return getattr(registry.get_dag(self.dag_id, self.fileloc), name)


def _finish(settings: Settings, run_id: str, drove: _Drove) -> RunResult:
    if drove.interrupted:
        raise RunInterrupted(run_id)
    if drove.incidents_emitted:
        from ..incidents.dispatcher import Dispatcher

        dispatcher = Dispatcher(settings)
        try:
            dispatcher.drain(settings.incidents_deliver_s)
        finally:
            dispatcher.stop()
    return load_run_result(open_engine(settings.database_url), run_id, settings.results_dir)
