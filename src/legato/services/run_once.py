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
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from ..authoring.dag import DAG, parse_datetime
from ..config import load_settings
from ..engine import registry
from ..engine.bus import Bus, RunFinished, TaskFinished
from ..engine.driver import RunDriver
from ..engine.executors import make_executor
from ..engine.result import RunResult
from ..engine.runs_create import insert_new_run
from ..engine.states import RunState
from ..store import runs as run_store
from ..store.db import open_engine
from ..store.owners import Owner
from .listeners import attach_all
from .run_results import load_run_result


def new_run_id(run_type: str, logical_date: datetime) -> str:
    stamp = logical_date.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{run_type}__{stamp}__{secrets.token_hex(3)}"


def _dag_callbacks(dag: DAG, bus: Bus) -> None:
    def on_finished(event: RunFinished) -> None:
        fn = dag.on_success_callback if event.state == "success" else dag.on_failure_callback
        if fn is not None:
            fn({"dag": dag, "dag_id": dag.dag_id, "run_id": event.run_id,
                "state": event.state})

    bus.subscribe(RunFinished, on_finished)


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
) -> RunResult:
    settings = load_settings()
    engine = open_engine(settings.database_url)
    spec = dag.spec()
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
        bus = Bus()
        incidents = attach_all(bus, settings).incidents
        _dag_callbacks(dag, bus)
        if on_task is not None:
            bus.subscribe(TaskFinished, on_task)
        driver = RunDriver(spec=spec, run=run, engine=engine, executor=runner, bus=bus,
                           home=settings.home, database_url=settings.database_url, rng=rng,
                           owner=owner.id)
        driver.load()
        driver.run_to_completion(on_pass=owner.beat_if_due, max_wait_s=owner.heartbeat_s)
    finally:
        runner.shutdown()
        owner.release()
    if incidents.emitted:
        from ..incidents.dispatcher import Dispatcher

        dispatcher = Dispatcher(settings)
        try:
            dispatcher.drain(settings.incidents_deliver_s)
        finally:
            dispatcher.stop()
    return load_run_result(engine, run.run_id, settings.results_dir)
