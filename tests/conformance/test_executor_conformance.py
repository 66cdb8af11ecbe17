"""One conformance suite for the executor seam (engine/executors/base.py), run against every
executor: inline, local threads, local processes and Dask (a real local cluster).

The contract, data in and events out: a submitted try reports its outcome as a TryFinished
carrying its try number (success with its result, failure with the error and its type, skip),
preceded by its TryStarted; a result reaches a downstream task through the store; `cancel`
stops a long try, which reports itself failed (`TaskTimeout` once its execution_timeout has
passed, else `TryCancelled`, not retried); `shutdown` returns with tries in flight; and a
driver is not misled by the late report of a try it abandoned; an event `post`ed from another
thread ends a wait in `events` and comes back from it.

Where an executor legitimately differs the test says so and checks the difference: the inline
executor runs each try inside `submit`, so nothing is ever in flight to cancel, shut down or
abandon; Dask drops a try's "started" event that would arrive after its outcome.
"""

from __future__ import annotations

import os
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from legato.authoring.loader import load_file
from legato.config import load_settings
from legato.engine.executors import make_executor
from legato.engine.executors.base import (
    Executor,
    StreamEvent,
    TryFinished,
    TryRequest,
    TryStarted,
    Wakeup,
)
from legato.store import results as result_store
from legato.store import tries as try_store
from legato.store import xcom as xcom_store
from legato.store.db import open_engine
from waiting import eventually

EXECUTORS = ["inline", "threads", "processes", "dask"]

DAGS = """
import os, time
from pathlib import Path
from legato import DAG, Skip, task
from legato.engine.runner import TaskTimeout


def wait_for(path, seconds):
    deadline = time.monotonic() + seconds
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.02)


with DAG("conformance_seam") as seam:
    @task
    def ok():
        return {"n": 7, "pid": os.getpid()}

    @task
    def boom():
        raise ValueError("boom")

    @task
    def skip():
        raise Skip("nothing to do")

    @task
    def double(x):
        return x["n"] * 2

    @task
    def sleepy(params):                  # until the test releases it (at most a minute)
        wait_for(Path(params["release"]), 60)
        return "released"

    double(ok())
    boom()
    skip()
    sleepy()


with DAG("conformance_stale", default_args={"retries": 1, "retry_delay": 0}) as stale:
    @task(execution_timeout=0.3)
    def stubborn(ctx, params):
        marks = Path(params["marks"])
        if ctx.try_number == 1:
            try:
                wait_for(marks / "never", 60)
            except TaskTimeout:
                pass                         # swallowed: only a kill stops this try
            wait_for(marks / "second-started", params["patience"])
            (marks / "first-returned").write_text("x")
            return "late"
        (marks / "second-started").write_text("x")
        wait_for(marks / "first-returned", 0.2)   # its late report comes in meanwhile
        return "second"

    stubborn()
"""


@pytest.fixture(scope="module")
def dag_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("conformance") / "conformance_dags.py"
    path.write_text(textwrap.dedent(DAGS))
    return path


def _name(kind: str, request: pytest.FixtureRequest) -> str:
    """The executor's name, as `--executor` and dag.run() take it."""
    if kind == "dask":
        address = request.getfixturevalue("dask_cluster").scheduler_address
        return "dask://" + address.removeprefix("tcp://")
    return {"inline": "inline", "threads": "local", "processes": "local:process"}[kind]


@pytest.fixture(params=EXECUTORS)
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def executor(kind: str, request: pytest.FixtureRequest, release: Path) -> Iterator[Executor]:
    made = make_executor(_name(kind, request), max_workers=2)
    try:
        yield made
    finally:
        release.touch()                  # no sleepy try outlives its test
        made.shutdown()


@pytest.fixture
def release(tmp_path: Path) -> Path:
    return tmp_path / "release"


def _request(dag_file: Path, task_id: str, *, try_number: int = 1, run_id: str = "r1",
             timeout_s: float | None = None, params: dict[str, Any] | None = None) -> TryRequest:
    settings, day = load_settings(), "2024-01-01T00:00:00+00:00"
    return TryRequest(dag_id="conformance_seam", fileloc=str(dag_file), run_id=run_id,
                      task_id=task_id, map_index=-1, try_number=try_number, retries=0,
                      logical_date=day, data_interval_start=day, data_interval_end=day,
                      params=params or {}, event=None, timeout_s=timeout_s,
                      home=str(settings.home), database_url=settings.database_url)


class Stream:
    """What an executor reported, as a driver reads it."""

    def __init__(self, executor: Executor) -> None:
        self.executor = executor
        self.seen: list[StreamEvent] = []

    def poll(self) -> list[StreamEvent]:
        self.seen.extend(self.executor.events(0.05))
        return self.seen

    def outcomes(self, n: int, timeout_s: float = 60) -> list[TryFinished]:
        """The first `n` outcomes, once there are that many."""
        def check() -> list[TryFinished] | None:
            done = [e for e in self.poll() if isinstance(e, TryFinished)]
            return done[:n] if len(done) >= n else None

        return eventually(check, timeout_s, what=f"{n} outcomes")

    def started(self, task_id: str) -> TryStarted:
        return eventually(lambda: next((e for e in self.poll() if isinstance(e, TryStarted)
                                        and e.task_id == task_id), None), 60,
                          what=f"{task_id} started")


def _value(outcome: TryFinished) -> Any:
    assert outcome.result is not None, outcome
    return result_store.decode(outcome.result.inline, outcome.result.path,
                               load_settings().home / "results")


def test_success_failure_and_skip_are_reported_with_their_try_numbers(
        executor: Executor, kind: str, dag_file: Path) -> None:
    for number, task_id in enumerate(("ok", "boom", "skip"), start=1):
        executor.submit(_request(dag_file, task_id, try_number=number))
    stream = Stream(executor)
    outcomes = {o.task_id: o for o in stream.outcomes(3)}
    ok, boom, skip = outcomes["ok"], outcomes["boom"], outcomes["skip"]
    assert [(o.try_number, o.state) for o in (ok, boom, skip)] == [
        (1, "success"), (2, "failed"), (3, "skipped")]
    assert _value(ok)["n"] == 7 and ok.error is None
    assert (boom.error, boom.error_type, boom.retryable) == ("boom", "ValueError", True)
    assert skip.retryable is False
    assert all(o.run_id == "r1" and o.map_index == -1 and o.start <= o.end
               and (o.log_text or o.log_path) for o in (ok, boom, skip))
    for task_id in outcomes:             # a try's start comes before its outcome...
        kinds = [type(e) for e in stream.seen if e.task_id == task_id]
        started = [e for e in stream.seen if isinstance(e, TryStarted) and e.task_id == task_id]
        assert kinds.index(TryFinished) == len(kinds) - 1
        assert all(e.try_number == outcomes[task_id].try_number for e in started)
        if kind != "dask":               # ...and Dask drops one that would come after it
            assert kinds == [TryStarted, TryFinished]


def test_a_posted_event_ends_a_wait_and_comes_back_from_the_stream(executor: Executor) -> None:
    """`post` is part of the seam every executor keeps: the triggerer reports a deferred try's
    outcome through it, and a scheduler's wake-up and dag.run()'s stop signal post a Wakeup
    from another thread to end the driver's wait."""
    got: list[StreamEvent] = []
    waiter = threading.Thread(target=lambda: got.extend(executor.events(120)), daemon=True)
    waiter.start()
    executor.post(Wakeup("r1"))
    eventually(lambda: not waiter.is_alive(), 60, what="events() to return after a post")
    assert got == [Wakeup("r1")]


def test_a_result_reaches_a_downstream_task_through_the_store(
        executor: Executor, kind: str, dag_file: Path) -> None:
    executor.submit(_request(dag_file, "ok"))
    [ok] = Stream(executor).outcomes(1)
    assert ok.state == "success" and ok.result is not None
    assert (_value(ok)["pid"] == os.getpid()) is (kind in ("inline", "threads"))
    with open_engine(load_settings().database_url).begin() as conn:      # as a driver does
        xcom_store.write(conn, [xcom_store.XComRow("r1", "ok", -1, "return_value", ok.result)])
    executor.submit(_request(dag_file, "double"))
    [doubled] = Stream(executor).outcomes(1)
    assert doubled.state == "success", doubled.error
    assert _value(doubled) == 14


@pytest.mark.parametrize("timeout_s, error_type", [(None, "TryCancelled"), (0.3, "TaskTimeout")])
def test_a_cancelled_long_try_reports_itself_failed(
        executor: Executor, kind: str, dag_file: Path, release: Path, timeout_s: float | None,
        error_type: str) -> None:
    """As a driver does: cancel once the try's execution_timeout has passed (TaskTimeout,
    retried), or for an operator's cancel (TryCancelled, not retried)."""
    params = {"release": str(release)}
    if kind == "inline":
        _inline_cannot_be_cancelled(executor, dag_file, params, timeout_s)
        return
    stream = Stream(executor)
    executor.submit(_request(dag_file, "sleepy", timeout_s=timeout_s, params=params))
    started = stream.started("sleepy")
    if timeout_s is not None:            # not before its deadline
        time.sleep(max(0.0, started.at + timeout_s - time.time()))
    executor.cancel("r1", ("sleepy", -1))
    [outcome] = stream.outcomes(1, timeout_s=10)
    assert (outcome.state, outcome.try_number, outcome.error_type) == ("failed", 1, error_type)
    assert outcome.retryable is (error_type == "TaskTimeout")
    assert outcome.error == ("the try was cancelled" if timeout_s is None   # it stopped itself
                             else f"execution_timeout of {timeout_s:g}s exceeded")


def _inline_cannot_be_cancelled(executor: Executor, dag_file: Path, params: dict[str, Any],
                                timeout_s: float | None) -> None:
    """Inline runs the try inside `submit`: by the time a driver could cancel, its outcome is
    there; only the runner's own alarm (SIGALRM, in this main thread) stops it early."""
    if timeout_s is None:
        executor.submit(_request(dag_file, "ok"))
    else:
        executor.submit(_request(dag_file, "sleepy", timeout_s=timeout_s, params=params))
    done = [e for e in executor.events(0) if isinstance(e, TryFinished)]
    executor.cancel("r1", ("ok", -1))
    executor.cancel("r1", ("sleepy", -1))
    assert executor.events(0) == []
    [outcome] = done
    if timeout_s is None:
        assert outcome.state == "success"
    else:
        assert (outcome.error_type, outcome.error) == ("TaskTimeout",
                                                       f"execution_timeout of {timeout_s:g}s exceeded")


def test_shutdown_returns_with_a_try_in_flight(executor: Executor, kind: str, dag_file: Path,
                                              release: Path) -> None:
    """A stopping scheduler leaves what is still in flight to the next one: shutdown must not
    wait for it. (Inline: nothing is ever in flight once `submit` has returned.)"""
    task_id = "ok" if kind == "inline" else "sleepy"
    executor.submit(_request(dag_file, task_id, params={"release": str(release)}))
    if kind != "inline":
        Stream(executor).started("sleepy")
    stopper = threading.Thread(target=executor.shutdown, daemon=True)
    began = time.monotonic()
    stopper.start()
    stopper.join(timeout=30)
    assert not stopper.is_alive(), "shutdown waited for the try in flight"
    assert time.monotonic() - began < 15     # the try itself runs until the test ends


def _tries(run_id: str) -> list[tuple[int, str, str | None]]:
    with open_engine(load_settings().database_url).connect() as conn:
        return [(t.try_number, t.state, t.error_type) for t in try_store.tries_of(conn, run_id)]


def test_a_driver_refuses_the_late_report_of_a_try_it_gave_up_on(
        kind: str, dag_file: Path, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """Try 1 swallows its timeout and reports "late" once try 2 has started: the run takes
    try 2's result and records try 1 failed. Processes kill try 1 (no late report at all);
    inline cannot abandon it, so try 1 runs on to its own end and is the outcome."""
    (stale,) = [d for d in load_file(dag_file).dags if d.dag_id == "conformance_stale"]
    patience = 0.2 if kind == "inline" else 30     # longer than any grace before giving up
    result = stale.run(executor=_name(kind, request),
                       params={"marks": str(tmp_path), "patience": patience})
    assert result.state == "success"
    tries = _tries(result.run_id)
    if kind == "inline":
        assert (result["stubborn"].result, tries) == ("late", [(1, "success", None)])
        return
    assert result["stubborn"].result == "second"
    assert tries == [(1, "failed", "TaskTimeout"), (2, "success", None)]
    if kind != "processes":              # it did run on to its end and report "late"
        assert (tmp_path / "first-returned").exists()
