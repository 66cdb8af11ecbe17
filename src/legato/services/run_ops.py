"""Operating runs in place: clear, retry from failure, mark, cancel, note — the use cases
behind `legato tasks|runs ...`, the API and the UI.

The process driving a run stays the one writer of its state (DESIGN.md), so:
- a run nobody drives (queued, or finished) is changed here directly, in one transaction that
  first takes the run's row (`lock_unowned`), so a scheduler claiming it meanwhile waits and
  then sees the change; a cleared finished run goes back to `queued` for a scheduler (or
  `--wait`, here) to drive;
- a running run gets a request (store/requests.py) that its owner applies under its fence and
  marks applied; this waits for that. If the run stopped being driven meanwhile (it ended,
  its owner died), the request is taken back and applied here, so it is applied once, never
  lost half way.
Which instances change is decided by engine/operations.py, the same rules for both paths.
"""

from __future__ import annotations

import getpass
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from ..authoring.spec import DagSpec
from ..config import Settings
from ..engine.bus import Bus, TaskFinished
from ..engine.operations import plan_clear, plan_mark, retry_selection, select
from ..engine.planner import run_outcome
from ..engine.states import FINISHED_RUN, TaskState
from ..errors import Conflict, InvalidInput, NotFound
from ..store import audit as audit_store
from ..store import dags as dag_store
from ..store import requests as request_store
from ..store import runs as run_store
from ..store import tries as try_store
from ..store import xcom as xcom_store
from ..store.db import open_engine
from .queries import resolve_run_id

WAIT_S = 15.0                       # how long a request waits for the run's owner to apply it
POLL_S = 0.05


@dataclass(frozen=True)
class Outcome:
    """What an action did: the run, the task ids it applied to, the run's state after it."""

    run_id: str
    task_ids: list[str] = field(default_factory=list)
    state: str | None = None
    applied: bool = True             # False: recorded, its owner has not applied it yet

    def to_json(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "task_ids": self.task_ids, "state": self.state,
                "applied": self.applied}


def cli_actor() -> str:
    return f"{getpass.getuser()} (cli)"


def _spec(conn: sa.Connection, run: run_store.RunRow) -> DagSpec:
    stored = dag_store.stored_spec(conn, run.dag_id)
    if stored is None:
        raise NotFound(f"the DAG {run.dag_id!r} of run {run.run_id} is not in the store")
    return DagSpec.from_json(stored[1])


def _states(conn: sa.Connection, run_id: str) -> dict[str, dict[int, TaskState]]:
    states: dict[str, dict[int, TaskState]] = {}
    for r in try_store.instances_of_run(conn, run_id):
        states.setdefault(r.task_id, {})[r.map_index] = TaskState(r.state)
    return states


def _run(conn: sa.Connection, run_id: str) -> run_store.RunRow:
    run = run_store.get_run(conn, run_id)
    if run is None:
        raise NotFound(f"no run {run_id!r}")
    return run


def _audit(conn: sa.Connection, who: str, action: str, run_id: str, detail: dict[str, Any]) -> None:
    audit_store.insert_audit(conn, datetime.now(UTC), who, action, run_id[:250], detail)


# -- clear and retry ------------------------------------------------------------------------
def clear(settings: Settings, run_id: str, task_ids: list[str], *, downstream: bool = False,
          upstream: bool = False, only_failed: bool = False, dry_run: bool = False,
          who: str | None = None) -> Outcome:
    """Run the chosen tasks again in the same run (see engine/operations.py for which)."""
    if not task_ids:
        raise InvalidInput("name at least one task to clear")
    options = {"downstream": downstream, "upstream": upstream, "only_failed": only_failed}
    return _clear(settings, run_id, task_ids, options, dry_run, who or cli_actor(), "clear")


def retry(settings: Settings, run_id: str, *, dry_run: bool = False,
          who: str | None = None) -> Outcome:
    """Re-run from failure: every failed and upstream_failed task and what depends on them."""
    return _clear(settings, run_id, None, {}, dry_run, who or cli_actor(), "retry")


def _selection(spec: DagSpec, states: Mapping[str, Mapping[int, TaskState]],
               task_ids: list[str] | None, options: Mapping[str, bool]) -> list[str]:
    if task_ids is None:
        return retry_selection(spec, states)
    return select(spec, states, task_ids, **options)


def _clear(settings: Settings, run_id: str, task_ids: list[str] | None,
           options: Mapping[str, bool], dry_run: bool, who: str, action: str) -> Outcome:
    engine = open_engine(settings.database_url)
    run_id = resolve_run_id(settings, run_id)
    with engine.begin() as conn:
        run = _run(conn, run_id)
        spec = _spec(conn, run)
        selected = _selection(spec, _states(conn, run_id), task_ids, options)
        if dry_run:
            return Outcome(run_id, selected, run.state)
        if not selected:
            raise InvalidInput(f"run {run_id} has nothing to {action}" + (
                ": no task failed" if task_ids is None else ""))
        _audit(conn, who, action, run_id, {"task_ids": selected, **options})
        if run_store.lock_unowned(conn, run_id) is not None:
            _clear_here(conn, spec, run_id, selected)
            cleared = Outcome(run_id, selected, "queued")
        else:
            cleared = None
    if cleared is not None:
        _wake(settings)                           # a running scheduler drives it again now
        return cleared
    payload = {"task_ids": selected, "selected": True}
    return _ask_owner(settings, run_id, "clear", payload, who,
                      lambda conn: _clear_here(conn, _spec(conn, _run(conn, run_id)), run_id,
                                               selected))


def _clear_here(conn: sa.Connection, spec: DagSpec, run_id: str, task_ids: list[str]) -> None:
    """Apply a clear to a run nobody drives (its row already taken): it goes back to queued."""
    plan = plan_clear(spec, _states(conn, run_id), task_ids)
    dropped, tries = set(plan.drop), {}
    for r in try_store.instances_of_run(conn, run_id):
        if (r.task_id, r.map_index) in dropped:        # try numbers go on after re-expansion
            tries[r.task_id] = max(tries.get(r.task_id, 0), r.try_number)
            try_store.delete_instance(conn, run_id, r.task_id, r.map_index)
    try_store.insert_with_tries(conn, run_id, plan.add, tries)
    try_store.reset_instances(conn, run_id, plan.reset)
    xcom_store.delete_of(conn, run_id, plan.results_of)
    run_store.reopen(conn, run_id)


# -- mark ------------------------------------------------------------------------------------
def mark(settings: Settings, run_id: str, task_ids: list[str], state: str, *,
         downstream: bool = False, upstream: bool = False, who: str | None = None) -> Outcome:
    """Set the chosen tasks' state without running them; a finished run's state is
    recomputed (marking its failed task success makes it succeed)."""
    who = who or cli_actor()
    if not task_ids:
        raise InvalidInput("name at least one task to mark")
    engine = open_engine(settings.database_url)
    run_id = resolve_run_id(settings, run_id)
    with engine.begin() as conn:
        run = _run(conn, run_id)
        spec = _spec(conn, run)
        selected = select(spec, _states(conn, run_id), task_ids, downstream=downstream,
                          upstream=upstream)
        plan_mark({}, [], state)                              # checks `state` first
        _audit(conn, who, "mark", run_id, {"task_ids": selected, "state": state})
        if run_store.lock_unowned(conn, run_id) is not None:
            after = _mark_here(conn, settings, spec, run, selected, state, who)
            return Outcome(run_id, selected, after)
    payload = {"task_ids": selected, "state": state}
    return _ask_owner(settings, run_id, "mark", payload, who,
                      lambda conn: _mark_here(conn, settings, _spec(conn, _run(conn, run_id)),
                                              _run(conn, run_id), selected, state, who))


def _mark_here(conn: sa.Connection, settings: Settings, spec: DagSpec, run: run_store.RunRow,
               task_ids: list[str], state: str, who: str) -> str:
    now = datetime.now(UTC)
    states = _states(conn, run.run_id)
    keys = plan_mark(states, task_ids, state)
    why = f"marked {state} by {who}" if state == "failed" else None
    try_store.set_states(conn, run.run_id, keys, state, now, why)
    for t, i in keys:
        states[t][i] = TaskState(state)
    after = run.state
    if run.state in FINISHED_RUN:
        outcome = run_outcome(spec, states)
        if outcome is not None and outcome.value != run.state:
            run_store.set_run_state(conn, run.run_id, outcome.value, end_date=now)
            after = outcome.value
    if state == "success":
        _publish(conn, settings, [TaskFinished(spec.dag_id, run.run_id, t, i, 0,
                                               TaskState.SUCCESS, None, None, now, None, (),
                                               ())
                                  for t, i in keys])
    return after


def _publish(conn: sa.Connection, settings: Settings, events: list[TaskFinished]) -> None:
    """The listeners' in-transaction part (an open incident of a task marked success is
    resolved in this commit)."""
    from .listeners import attach_all

    bus = Bus()
    attach_all(bus, settings)
    bus.publish_in_tx(conn, events)


# -- cancel and note -------------------------------------------------------------------------
def cancel(settings: Settings, run_id: str, *, who: str | None = None) -> Outcome:
    """End a queued or running run `cancelled`; a finished one is a Conflict."""
    who = who or cli_actor()
    engine = open_engine(settings.database_url)
    run_id = resolve_run_id(settings, run_id)
    with engine.begin() as conn:
        run = _run(conn, run_id)
        if run.state in FINISHED_RUN:
            raise Conflict(f"run {run_id} already ended {run.state}; there is nothing to cancel")
        _audit(conn, who, "cancel", run_id, {})
        if run_store.cancel_queued(conn, [run_id], datetime.now(UTC)):
            return Outcome(run_id, [], "cancelled")
    return _ask_owner(settings, run_id, "cancel", {}, who, None)


def set_note(settings: Settings, run_id: str, note: str | None, *,
             who: str | None = None) -> run_store.RunRow:
    """Attach (or with None/"" remove) a note shown with the run."""
    run_id = resolve_run_id(settings, run_id)
    text = (note or "").strip() or None
    if text is not None and len(text) > 10_000:
        raise InvalidInput("a note is at most 10,000 characters")
    with open_engine(settings.database_url).begin() as conn:
        if not run_store.set_note(conn, run_id, text):
            raise NotFound(f"no run {run_id!r}")
        _audit(conn, who or cli_actor(), "note", run_id, {"note": text})
        return _run(conn, run_id)


# -- asking a run's owner ---------------------------------------------------------------------
def _ask_owner(settings: Settings, run_id: str, action: str, payload: dict[str, Any], who: str,
               here: Any) -> Outcome:
    """Record the request for the run's owner and wait for it to be applied. If the run
    stops being driven first, take the request back and apply it with `here(conn)` (a
    cancel of a run that ended meanwhile is a Conflict)."""
    engine = open_engine(settings.database_url)
    with engine.begin() as conn:
        request_id = request_store.insert(conn, run_id, action, payload, who, datetime.now(UTC))
    _wake(settings)                               # its owner applies it at once
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        with engine.begin() as conn:
            req = request_store.get(conn, request_id)
            if req is not None and req.applied_at is not None:
                return _applied(conn, run_id, req.outcome or {})
            if (run_store.lock_unowned(conn, run_id) is not None            # not running now
                    and request_store.mark_applied(conn, request_id, datetime.now(UTC), payload)):
                if here is None:
                    raise Conflict(f"run {run_id} ended before it could be cancelled")
                after = here(conn)
                return Outcome(run_id, payload.get("task_ids", []),
                               after if isinstance(after, str) else "queued")
        time.sleep(POLL_S)
    return Outcome(run_id, payload.get("task_ids", []), "running", applied=False)


def _wake(settings: Settings) -> None:
    from ..engine.wakeup import notify

    notify(settings.database_url, settings.home)


def _applied(conn: sa.Connection, run_id: str, outcome: dict[str, Any]) -> Outcome:
    if "error" in outcome:
        raise InvalidInput(outcome["error"])
    run = _run(conn, run_id)
    return Outcome(run_id, list(outcome.get("task_ids", [])), run.state)
