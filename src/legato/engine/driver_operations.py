"""What operators do to a run while a driver holds it: clear, mark, cancel, and the queued
requests (store.requests) that carry them to the process that drives the run.

A mixin of RunDriver, kept apart so that engine/driver.py is about planning and recording
outcomes. It works on the driver's in-memory mirror and batch, and commits nothing itself:
each action is staged and goes out with the driver's next commit, under its fence.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from ..errors import InvalidInput, LegatoError
from ..store import tries as try_store
from ..store.requests import RequestRow
from .bus import TaskFinished
from .driver_state import Instance
from .operations import plan_clear, plan_mark, select
from .states import FINISHED, RunState, TaskState

if TYPE_CHECKING:
    from ..authoring.spec import DagSpec
    from ..store.runs import RunRow
    from .batch import Batch
    from .driver_state import InFlight
    from .executors.base import Executor, TryFinished
    from .planner import TIKey


class OperatorActions:
    if TYPE_CHECKING:                    # RunDriver's mirror and the methods that change it
        spec: DagSpec
        run: RunRow
        executor: Executor
        batch: Batch
        info: dict[TIKey, Instance]
        states: dict[str, dict[int, TaskState]]
        lengths: dict[str, int | None]
        due: dict[TIKey, datetime]
        in_flight: dict[TIKey, InFlight]
        timed: dict[TIKey, InFlight]
        to_submit: list[TIKey]
        staged: set[TIKey]
        to_defer: list[tuple[TryFinished, float | None]]
        candidates: set[str]
        unfinished: int

        def _set(self, key: TIKey, state: TaskState, *, forced: bool = False,
                 **fields: object) -> None: ...
        def _stage(self, key: TIKey) -> None: ...
        def _downstream_of(self, task_id: str) -> None: ...
        def _landed(self, key: TIKey) -> InFlight | None: ...
        def _close(self, outcome: RunState, now: datetime) -> RunState: ...

    def take_requests(self, requests: list[RequestRow], now: datetime) -> RunState | None:
        """Apply operators' requests to this run. Each is staged with its effects and marked
        applied in the same commit, under this driver's fence; returns the run's outcome if
        a request ended it (a cancel)."""
        for req in requests:
            if req.action == "cancel":
                self.batch.applied.append((req.id, {"state": RunState.CANCELLED.value}))
                return self.cancel(now, f"cancelled by {req.requested_by}")
            try:
                outcome = self._apply_request(req, now)
            except LegatoError as exc:                  # e.g. a task this version lacks
                outcome = {"error": str(exc)}
            self.batch.applied.append((req.id, outcome))
        return None

    def _apply_request(self, req: RequestRow, now: datetime) -> dict[str, object]:
        p = req.payload
        if req.action == "clear":
            task_ids = p["task_ids"] if p.get("selected") else select(
                self.spec, self.states, p["task_ids"], downstream=p.get("downstream", False),
                upstream=p.get("upstream", False), only_failed=p.get("only_failed", False))
            self.clear(task_ids)
            return {"task_ids": task_ids}
        if req.action == "mark":
            task_ids = select(self.spec, self.states, p["task_ids"],
                              downstream=p.get("downstream", False),
                              upstream=p.get("upstream", False))
            self.mark(task_ids, p["state"], now, f"marked {p['state']} by {req.requested_by}")
            return {"task_ids": task_ids, "state": p["state"]}
        raise InvalidInput(f"unknown request {req.action!r}")

    def clear(self, task_ids: list[str]) -> None:
        """Put finished instances of `task_ids` back to run again (operations.plan_clear)."""
        plan = plan_clear(self.spec, self.states, task_ids)
        for key in plan.reset:
            self.due.pop(key, None)
            self._set(key, TaskState.SCHEDULED, forced=True, next_try_at=None, start=None,
                      end=None, error=None, error_type=None)
        tries = {t: 0 for t, _ in plan.add}
        for key in plan.drop:
            self.unfinished -= self.info[key].state not in FINISHED
            tries[key[0]] = max(tries.get(key[0], 0), self.info.pop(key).try_number)
            self.states[key[0]].pop(key[1], None)
            self.batch.instances.pop(key, None)
            self.staged.discard(key)
            self.batch.deletes.append(key)
            self.due.pop(key, None)
        for key in plan.add:
            self.unfinished += 1
            self.info[key] = Instance(TaskState.SCHEDULED, tries[key[0]])
            self.states[key[0]][key[1]] = TaskState.SCHEDULED
            self.batch.inserts.append(key)
            self._stage(key)
        for task_id in plan.results_of:
            self.lengths.pop(task_id, None)
            self.batch.xcom_deletes.append(task_id)
            self.candidates.add(task_id)

    def mark(self, task_ids: list[str], state: str, now: datetime, why: str) -> None:
        """Set the instances of `task_ids` to `state` without running them; a try in flight
        is stopped and recorded as such. A success resolves the task's open incident (its
        TaskFinished is published), but updates no dataset: nothing was produced."""
        target = TaskState(state)
        for key in plan_mark(self.states, task_ids, state):
            flight = self._landed(key)
            if flight is not None:
                self.executor.cancel(self.run.run_id, key)
                self.batch.tries[(key[0], key[1], flight.try_number)] = try_store.TryRow(
                    self.run.run_id, key[0], key[1], flight.try_number, "failed",
                    self.info[key].start or now, now, f"stopped: {why}", "Marked", None)
            self.due.pop(key, None)
            error = None if target is not TaskState.FAILED else why
            self._set(key, target, forced=True, next_try_at=None, end=now, error=error,
                      error_type=None if error is None else "Marked")
            self._downstream_of(key[0])
            if target is TaskState.SUCCESS:
                self.batch.events.append(TaskFinished(
                    self.spec.dag_id, self.run.run_id, key[0], key[1],
                    self.info[key].try_number, TaskState.SUCCESS, None, None, now, None, (),
                    ()))

    def cancel(self, now: datetime, reason: str) -> RunState:
        """End the run `cancelled`, now: tries in flight are asked to stop (a process or Dask
        worker is terminated; a thread is abandoned and its late report refused) and recorded
        failed, what had not started is skipped and never starts. Deliberate, so it publishes
        no TaskFinished (no incident, no failure callback), only the RunFinished."""
        error = f"run cancelled: {reason}"
        for key in list(self.in_flight):
            self.executor.cancel(self.run.run_id, key)
        for key, inst in self.info.items():
            if inst.state in FINISHED:
                continue
            flight = self.in_flight.get(key)
            if flight is not None:
                start = inst.start or now
                self.batch.tries[(key[0], key[1], flight.try_number)] = try_store.TryRow(
                    self.run.run_id, key[0], key[1], flight.try_number, "failed", start, now,
                    error, "RunCancelled", None)
            if inst.state is TaskState.SCHEDULED:
                self._set(key, TaskState.SKIPPED, end=now, error=error, error_type="RunCancelled")
            else:
                self._set(key, TaskState.FAILED, end=now, error=error, error_type="RunCancelled")
        self.in_flight.clear()
        self.timed.clear()
        self.due.clear()
        self.to_submit.clear()
        self.to_defer.clear()
        return self._close(RunState.CANCELLED, now)
