"""Drives one DAG run to completion: plan, commit, hand ready tries to the executor, record
their outcomes, repeat.

The driver is the single writer of its run's state. It mirrors the run's instances in memory,
stages every change in a Batch and commits the batch before acting on it (submitting a try,
publishing an event). Executors only report; a report whose try number is not the one in
flight is stale and refused, so a late report from an abandoned try cannot record a second
outcome.
"""

from __future__ import annotations

import functools
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..authoring.spec import DagSpec
from ..store import requests as request_store
from ..store import results as result_store
from ..store import tries as try_store
from ..store import xcom as xcom_store
from ..store.requests import RequestRow
from ..store.runs import RunRow
from ..store.xcom import XComRow
from .batch import Batch
from .bus import Bus, RunFinished, TaskFinished
from .driver_operations import OperatorActions
from .driver_state import FencedEngine, InFlight, Instance, from_epoch
from .executors.base import (
    Executor,
    Outcome,
    StreamEvent,
    TryFinished,
    TryRequest,
    TryStarted,
    Wakeup,
)
from .planner import TIKey, branch_skips, initial_instances, plan, run_outcome
from .retry import next_try_at, should_retry
from .states import FINISHED, RunState, TaskState, check_transition

log = logging.getLogger("legato.driver")
TIMEOUT_GRACE_S = 2.0
COALESCE_S = 0.002
REQUESTS_EVERY_S = 0.25          # how often a lone driver looks for operators' requests


class RunDriver(OperatorActions):
    def __init__(self, *, spec: DagSpec, run: RunRow, engine: sa.Engine, executor: Executor,
                 bus: Bus, home: Path, database_url: str,
                 rng: random.Random | None = None, owner: str | None = None) -> None:
        self.spec = spec
        self.run = run
        self.engine = engine
        self.executor = executor
        self.bus = bus
        self.home = home
        self.database_url = database_url
        self.rng = rng or random.Random()
        self.owner = owner
        self._writer = engine if owner is None else FencedEngine(engine, run.run_id, owner)
        self.batch = Batch(run.run_id)
        self.info: dict[TIKey, Instance] = {}
        self.states: dict[str, dict[int, TaskState]] = {t: {} for t in spec.order}
        self.lengths: dict[str, int | None] = {}
        self.due: dict[TIKey, datetime] = {}
        self.in_flight: dict[TIKey, InFlight] = {}
        self.timed: dict[TIKey, InFlight] = {}    # the in-flight tries with a deadline
        self.to_submit: list[TIKey] = []
        self.staged: set[TIKey] = set()            # instances whose row the next flush writes
        self.candidates: set[str] = set(spec.order)
        self.order_index = {t: i for i, t in enumerate(spec.order)}
        self.unfinished = 0                         # instances not in a finished state
        self.first_poke: dict[TIKey, float] = {}   # sensors: kept across reschedules
        self.poke_logs: dict[TIKey, str] = {}      # sensors: earlier pokes' inline logs
        self.to_defer: list[tuple[TryFinished, float | None]] = []

    # -- state --------------------------------------------------------------------------
    def load(self) -> None:
        """Read the run's instances from the store (the driver's starting point).

        The DAG may have changed since the run began: rows of tasks the current version lacks
        become `removed` (Airflow's state; they no longer count for the run), and tasks it
        added get instances, so the run goes on with the version on disk."""
        with self.engine.connect() as conn:
            rows = try_store.instances_of_run(conn, self.run.run_id)
        for r in rows:
            if r.task_id not in self.spec.tasks:
                self._mark_removed(r)
                continue
            key = (r.task_id, r.map_index)
            self.info[key] = Instance(TaskState(r.state), r.try_number, r.next_try_at,
                                       r.start_date, r.end_date, r.error, r.error_type)
            self.states[r.task_id][r.map_index] = TaskState(r.state)
            if r.next_try_at is not None and r.state == TaskState.UP_FOR_RETRY:
                self.due[key] = r.next_try_at
        self._add_new_tasks()
        self._restore_lengths()
        self._count_unfinished()

    def load_new(self) -> None:
        """The starting point of a run this process just created (its instances are the
        spec's initial ones, all scheduled): what `load` would read, without reading it."""
        for key in initial_instances(self.spec):
            self.info[key] = Instance(TaskState.SCHEDULED)
            self.states[key[0]][key[1]] = TaskState.SCHEDULED
        self._restore_lengths()
        self._count_unfinished()

    def _count_unfinished(self) -> None:
        self.unfinished = sum(1 for i in self.info.values() if i.state not in FINISHED)

    def _restore_lengths(self) -> None:
        """The lengths a pending mapped task will expand by, known before this driver began:
        a mapped upstream's is its number of instances; a finished upstream's result is read
        back from the store (after a restart nothing of it is in memory)."""
        for task_id, instances in self.states.items():
            if self.spec.tasks[task_id].is_mapped and -1 not in instances:
                self.lengths[task_id] = len(instances)
        wanted = {s.upstream for t in self.spec.tasks.values() for s in t.map_sources
                  if s.upstream is not None and self.states[t.task_id].get(-1)
                  is TaskState.SCHEDULED}
        for up in wanted - set(self.lengths):
            if self.states[up].get(-1) is TaskState.SUCCESS:
                self.lengths[up] = self._stored_length(up)

    def _stored_length(self, task_id: str) -> int | None:
        with self.engine.connect() as conn:
            rows = xcom_store.read(conn, self.run.run_id, task_id, "return_value")
        if not rows:
            return None
        value = result_store.decode(rows[0][1], rows[0][2], self.home / "results")
        return len(value) if isinstance(value, list | tuple) else None

    def _mark_removed(self, row: try_store.InstanceRow) -> None:
        """A row of a task this DAG version no longer has: out of the run, whatever its state
        (outside the state machine's moves, as in Airflow: the task itself is gone)."""
        if row.state == TaskState.REMOVED:
            return
        log.warning("run %s: task %r is not in the current version of %s; marked removed",
                    self.run.run_id, row.task_id, self.spec.dag_id)
        self.batch.instances[(row.task_id, row.map_index)] = replace(
            row, state=TaskState.REMOVED.value, end_date=row.end_date or datetime.now(UTC))

    def _add_new_tasks(self) -> None:
        """Tasks the current DAG version added after this run began get their instances."""
        missing = {t for t, instances in self.states.items() if not instances}
        if not missing:
            return
        for key in initial_instances(self.spec):
            if key[0] in missing:
                self.info[key] = Instance(TaskState.SCHEDULED)
                self.states[key[0]][key[1]] = TaskState.SCHEDULED
                self.batch.inserts.append(key)

    def reap_lost(self) -> int:
        """After a restart: tries the store shows queued, running or deferred have no worker
        (or trigger) any more. Each is recorded as a failed try (retried if its policy
        allows); returns how many."""
        lost = [k for k, i in self.info.items()
                if i.state in (TaskState.QUEUED, TaskState.RUNNING, TaskState.DEFERRED)]
        for key in lost:
            inst = self.info[key]
            started = (inst.start or datetime.now(UTC)).timestamp()
            self._finish(TryFinished(
                self.run.run_id, key[0], key[1], inst.try_number, Outcome.FAILED, start=started,
                end=time.time(), error="the scheduler stopped while this try was in flight",
                error_type="TryLost"))
        return len(lost)

    def _set(self, key: TIKey, state: TaskState, *, forced: bool = False,
             **fields: object) -> None:
        """Move an instance to `state` (checked against the state machine, unless `forced`:
        an operator's clear or mark is outside its moves) and stage the row."""
        inst = self.info[key]
        self.unfinished += (inst.state in FINISHED) - (state in FINISHED)
        inst.state = state if forced else check_transition(inst.state, state)
        for name, value in fields.items():
            setattr(inst, name, value)
        self.states[key[0]][key[1]] = state
        self._stage(key)

    def _stage(self, key: TIKey) -> None:
        """The instance's row is written at the next flush, as it is then (a try moves it
        queued -> running -> success, often within one pass: one row, built once)."""
        self.staged.add(key)

    def _rows_of_staged(self) -> None:
        run_id, info = self.run.run_id, self.info
        for key in self.staged:
            inst = info.get(key)
            if inst is not None:                 # else dropped by a clear since it was staged
                self.batch.instances[key] = try_store.InstanceRow(
                    run_id, key[0], key[1], inst.state.value, inst.try_number,
                    inst.next_try_at, inst.start, inst.end, inst.error, inst.error_type)
        self.staged.clear()

    def _downstream_of(self, task_id: str) -> None:
        self.candidates.update(self.spec.tasks[task_id].downstream)

    # -- planning -----------------------------------------------------------------------
    def _plan_once(self, now: datetime) -> bool:
        self.candidates.update(k[0] for k in self.due)
        p = plan(self.spec, self.states, self.candidates, lengths=self.lengths, due=self.due,
                 now=now, order_index=self.order_index)
        self.candidates = set()
        for key, state in p.set_state:
            self._set(key, state, end=now)
            self._downstream_of(key[0])
        for key, message in p.fail:
            self._set(key, TaskState.FAILED, end=now, error=message, error_type="MappingError")
            self._downstream_of(key[0])
        for task_id, n in p.expand.items():
            self._expand(task_id, n, now)
        for key in p.queue:
            inst = self.info[key]
            inst.try_number += 1
            self.due.pop(key, None)
            self._set(key, TaskState.QUEUED, next_try_at=None, error=None, error_type=None)
            self.to_submit.append(key)
        return bool(self.candidates)

    def _expand(self, task_id: str, n: int, now: datetime) -> None:
        placeholder = (task_id, -1)
        if n == 0:
            self._set(placeholder, TaskState.SKIPPED, end=now)
            self._downstream_of(task_id)
            return
        self.batch.instances.pop(placeholder, None)
        self.staged.discard(placeholder)
        self.batch.deletes.append(placeholder)
        tries = self.info.pop(placeholder).try_number     # > 0 after a clear: numbers go on
        self.unfinished += n - 1
        self.states[task_id] = {}
        for i in range(n):
            key = (task_id, i)
            self.info[key] = Instance(TaskState.SCHEDULED, tries)
            self.states[task_id][i] = TaskState.SCHEDULED
            self.batch.inserts.append(key)
            if tries:
                self._stage(key)
        self.lengths[task_id] = n                    # a task mapping over this one gets n
        self.candidates.add(task_id)

    # -- executing ----------------------------------------------------------------------
    @functools.cached_property
    def _run_fields(self) -> dict[str, Any]:
        """What every try request of this run carries (formatted once, not once a try)."""
        run = self.run
        return {"dag_id": self.spec.dag_id, "fileloc": self.spec.fileloc, "run_id": run.run_id,
                "logical_date": run.logical_date.isoformat(),
                "data_interval_start": run.data_interval_start.isoformat(),
                "data_interval_end": run.data_interval_end.isoformat(), "params": run.params,
                "event": run.event, "home": str(self.home), "database_url": self.database_url}

    def _request(self, key: TIKey) -> TryRequest:
        t = self.spec.tasks[key[0]]
        return TryRequest(
            task_id=key[0], map_index=key[1], try_number=self.info[key].try_number,
            retries=t.retry.retries, timeout_s=t.timeout_s, first_poke=self.first_poke.get(key),
            **self._run_fields)

    def _submit_pending(self) -> None:
        pending, self.to_submit = self.to_submit, []
        for key in pending:
            self.in_flight[key] = InFlight(self.info[key].try_number)
            self.executor.submit(self._request(key))

    def _apply(self, event: TryStarted | TryFinished) -> None:
        flight = self.in_flight.get(event.key)
        if flight is None or flight.try_number != event.try_number:
            log.warning("refused a stale report for %s try %s", event.key, event.try_number)
            return
        if isinstance(event, TryStarted):
            timeout = self.spec.tasks[event.task_id].timeout_s
            if timeout is not None:
                flight.deadline = time.monotonic() + timeout
                self.timed[event.key] = flight
            self._set(event.key, TaskState.RUNNING, start=from_epoch(event.at))
            return
        if event.state == Outcome.DEFERRED:
            self._defer(event, flight)
            return
        self._landed(event.key)
        self._finish(event)

    def _landed(self, key: TIKey) -> InFlight | None:
        """The try of `key` is no longer in flight (it ended, or was given up)."""
        self.timed.pop(key, None)
        return self.in_flight.pop(key, None)

    def _defer(self, ev: TryFinished, flight: InFlight) -> None:
        """The sensor left its worker: the try stays in flight (no execution deadline) while
        the triggerer waits; its outcome comes back through the executor's event stream."""
        flight.deadline = None
        flight.cancelled_at = None
        self.timed.pop(ev.key, None)
        self._set(ev.key, TaskState.DEFERRED, start=from_epoch(ev.start))
        first = ev.first_poke if ev.first_poke is not None else ev.start
        deadline = None if ev.sensor_timeout_s is None else first + ev.sensor_timeout_s
        self.to_defer.append((ev, deadline))

    def _defer_pending(self) -> None:
        """Hand the deferred tries to the triggerer, once their state is committed."""
        if not self.to_defer:
            return
        from .triggerer import get_triggerer

        pending, self.to_defer = self.to_defer, []
        triggerer = get_triggerer()
        for ev, deadline in pending:
            triggerer.add(self.run.run_id, ev.key, ev.try_number, ev.trigger, deadline,
                          ev.soft_fail, self.executor.post, start=ev.start, log_path=ev.log_path,
                          log_text=ev.log_text)

    def _finish(self, ev: TryFinished) -> None:
        key, task = ev.key, self.spec.tasks[ev.task_id]
        start, end = from_epoch(ev.start), from_epoch(ev.end)
        if ev.state == Outcome.RESCHEDULED:
            self._reschedule(ev)
            return
        self.first_poke.pop(key, None)
        log_text = ev.log_text
        if key in self.poke_logs:                      # a rescheduled sensor's earlier pokes
            log_text = self.poke_logs.pop(key) + (log_text or "")
        self.batch.tries[(ev.task_id, ev.map_index, ev.try_number)] = try_store.TryRow(
            self.run.run_id, ev.task_id, ev.map_index, ev.try_number, ev.state, start, end,
            ev.error, ev.error_type, ev.log_path, log_text, ev.log_error, ev.callback_error)
        if ev.state == Outcome.SUCCESS:
            self._record_success(ev)
            state = TaskState.SUCCESS
        elif ev.state == Outcome.SKIPPED:
            state = TaskState.SKIPPED
        elif ev.retryable and should_retry(task.retry, ev.try_number):
            when = next_try_at(task.retry, ev.try_number, end, self.rng)
            self.due[key] = when  # type: ignore[assignment]
            self._set(key, TaskState.UP_FOR_RETRY, start=start, end=end, next_try_at=when,
                      error=ev.error, error_type=ev.error_type)
            self._publish_task(ev, TaskState.UP_FOR_RETRY, end)
            return
        else:
            state = TaskState.FAILED
        self._set(key, state, start=start, end=end, error=ev.error, error_type=ev.error_type)
        self._downstream_of(ev.task_id)
        self._publish_task(ev, state, end)

    def _reschedule(self, ev: TryFinished) -> None:
        """A sensor poked and will poke again: the try number is not consumed (no task_tries
        row; the next queue reuses the number) and its first poke is kept for its timeout."""
        key = ev.key
        if ev.first_poke is not None:
            self.first_poke.setdefault(key, ev.first_poke)
        if ev.log_text:
            self.poke_logs[key] = self.poke_logs.get(key, "") + ev.log_text
        when = from_epoch(ev.reschedule_at if ev.reschedule_at is not None else ev.end)
        self.info[key].try_number -= 1
        self.due[key] = when
        start = self.info[key].start or from_epoch(ev.start)
        self._set(key, TaskState.UP_FOR_RETRY, start=start, next_try_at=when, error=None,
                  error_type=None)

    def _record_success(self, ev: TryFinished) -> None:
        rid = self.run.run_id
        if ev.result is not None:
            self.batch.xcoms.append(XComRow(rid, ev.task_id, ev.map_index, "return_value",
                                            ev.result))
        for k, v in ev.pushed:
            self.batch.xcoms.append(XComRow(rid, ev.task_id, ev.map_index, k, v))
        if not self.spec.tasks[ev.task_id].is_mapped:
            self.lengths[ev.task_id] = ev.result.length if ev.result is not None else None
        if ev.follow is not None:
            for skipped in branch_skips(self.spec, ev.task_id, ev.follow):
                for mi, st in list(self.states[skipped].items()):
                    if st is TaskState.SCHEDULED:
                        self._set((skipped, mi), TaskState.SKIPPED, end=from_epoch(ev.end))
                self._downstream_of(skipped)

    def _publish_task(self, ev: TryFinished, state: TaskState, at: datetime) -> None:
        """Stage the event with the batch: in-transaction subscribers see it inside the commit
        of this state change, the others once it is committed."""
        task = self.spec.tasks.get(ev.task_id)
        self.batch.events.append(TaskFinished(self.spec.dag_id, self.run.run_id, ev.task_id,
                                              ev.map_index, ev.try_number, state, ev.error,
                                              ev.error_type, at, from_epoch(ev.start),
                                              task.inlets if task else None,
                                              task.outlets if task else None))

    def _flush(self) -> None:
        self._rows_of_staged()
        for event in self.batch.flush(self._writer, self.bus):  # type: ignore[arg-type]
            self.bus.publish(event)

    def _check_timeouts(self) -> None:
        now = time.monotonic()
        for key, flight in list(self.timed.items()):
            if flight.deadline is None or now < flight.deadline:
                continue
            if flight.cancelled_at is None:
                flight.cancelled_at = now
                self.executor.cancel(self.run.run_id, key)
            elif now - flight.cancelled_at >= TIMEOUT_GRACE_S:
                timeout = self.spec.tasks[key[0]].timeout_s
                self._landed(key)
                self._finish(TryFinished(
                    self.run.run_id, key[0], key[1], flight.try_number, Outcome.FAILED,
                    start=(self.info[key].start or datetime.now(UTC)).timestamp(),
                    end=time.time(), error=f"execution_timeout of {timeout:g}s exceeded; "
                    "the try did not stop and was abandoned", error_type="TaskTimeout"))

    def _wait_s(self, now: datetime) -> float:
        waits = [5.0]
        if self.due:
            waits.append((min(self.due.values()) - now).total_seconds())
        mono = time.monotonic()
        for flight in self.timed.values():
            if flight.deadline is not None:
                waits.append(flight.deadline - mono)
            if flight.cancelled_at is not None:
                waits.append(flight.cancelled_at + TIMEOUT_GRACE_S - mono)
        return max(0.0, min(waits))

    def _next_events(self, now: datetime, max_wait_s: float = 5.0) -> list[StreamEvent]:
        """Wait for events; if only starts arrived, wait a moment for their ends, so a short
        task costs one commit rather than two (its `running` row is then never written)."""
        events = self.executor.events(min(self._wait_s(now), max_wait_s))
        if events and all(isinstance(e, TryStarted) for e in events):
            events += self.executor.events(COALESCE_S)
        return events

    def _fail_stuck(self, now: datetime) -> None:
        """Nothing can move but tasks remain: mark them upstream_failed rather than hang."""
        for key, inst in self.info.items():
            if inst.state is TaskState.SCHEDULED:
                self._set(key, TaskState.UPSTREAM_FAILED, end=now,
                          error="no path to run this task (deadlock)")

    # -- the loop -----------------------------------------------------------------------
    def advance(self, now: datetime) -> RunState | None:
        """Plan, commit, then submit what became ready; the run's outcome once it is over."""
        while True:
            while self._plan_once(now):
                pass
            outcome = run_outcome(self.spec, self.states) if self.unfinished <= 0 else None
            if outcome is not None:
                return self._close(outcome, now)
            if self.to_submit or self.in_flight or self.due:
                break
            self._count_unfinished()           # nothing moves: recount before deciding stuck
            if self.unfinished == 0:
                continue
            self._fail_stuck(now)
        self._flush()
        self._submit_pending()
        self._defer_pending()
        return None

    def apply(self, events: Sequence[StreamEvent]) -> None:
        """Record reports from the executor (stale ones are refused), then time-outs."""
        for event in events:
            if not isinstance(event, Wakeup):
                self._apply(event)
        self._check_timeouts()

    def commit(self) -> None:
        """Commit what is staged (outcomes recorded by `apply`) without planning anything new:
        a scheduler stopping keeps finished work but starts no try."""
        self._flush()

    def wait_s(self, now: datetime) -> float:
        """How long the caller may wait for events before this run needs attention."""
        return self._wait_s(now)

    def _pending_requests(self) -> list[RequestRow]:
        with self.engine.connect() as conn:
            return request_store.pending(conn, [self.run.run_id])

    def run_to_completion(self, on_pass: Callable[[], None] | None = None,
                          max_wait_s: float = 5.0, stop: threading.Event | None = None) -> RunState:
        """Drive the run alone, with an executor of its own (dag.run, legato run); `on_pass`
        is called at least every `max_wait_s` (the owner's heartbeat). Once `stop` is set (a
        signal; post a Wakeup to the executor to end the wait at once) the run is cancelled."""
        next_requests = 0.0
        while True:
            if on_pass is not None:
                on_pass()
            now = datetime.now(UTC)
            if stop is not None and stop.is_set():
                return self.cancel(now, "the process driving it was interrupted")
            if time.monotonic() >= next_requests:          # operators' clear/mark/cancel
                next_requests = time.monotonic() + REQUESTS_EVERY_S
                ended = self.take_requests(self._pending_requests(), now)
                if ended is not None:
                    return ended
            outcome = self.advance(now)
            if outcome is not None:
                return outcome
            self.apply(self._next_events(now, min(max_wait_s, REQUESTS_EVERY_S)))

    def _close(self, outcome: RunState, now: datetime) -> RunState:
        if self.batch.run_state is None:        # not staged already by a commit that failed
            self.batch.run_state = (outcome.value, now)
            self.batch.events.append(RunFinished(self.spec.dag_id, self.run.run_id,
                                                 outcome, now))
        self._flush()
        return outcome
