"""The task-instance page: one task of one run, whether it ran or not.

Built from a fixed handful of queries (the run, the run's instances, this task's tries, its
result; the branch results only for a skipped task below a branch) plus the DAG's stored
spec. A task that never ran says why (`explain`, pure): upstream failed and which, skipped
by which branch and what that branch chose, waiting on which upstream tasks, the run queued
behind a paused DAG. A mapped task asked for without a map index shows its instances with
counts by state. The rendered templated fields and the traceback are in ui_render.py.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..config import Settings
from ..store import runs as run_store
from ..store import tries as try_store
from ..store.db import open_engine
from ..store.schema import xcom
from . import queries, ui_render
from .queries import NotFound
from .ui_views import fold_states, stored_spec

PREVIEW_CHARS = 4000
FINISHED = ("success", "failed", "skipped", "upstream_failed", "removed")


@dataclass(frozen=True)
class TryView:
    number: int
    state: str
    start: datetime | None
    end: datetime | None
    error_type: str | None
    error: str | None
    callback_error: str | None = None       # the try's callback raised (state unchanged)

    @property
    def duration_s(self) -> float | None:
        return (self.end - self.start).total_seconds() if self.start and self.end else None


@dataclass(frozen=True)
class Neighbour:
    task_id: str
    state: str


@dataclass(frozen=True)
class MapInstance:
    map_index: int
    state: str
    try_number: int
    duration_s: float | None


@dataclass
class TaskPage:
    run: run_store.RunRow
    task_id: str
    map_index: int                       # -1: the task (all its instances when mapped)
    state: str                           # folded over map indexes when showing the whole task
    spec: dict[str, Any]                 # the TaskSpec as stored ({} for a task the DAG lacks)
    is_paused: bool
    instance: try_store.InstanceRow | None
    tries: list[TryView]
    upstream: list[Neighbour]
    downstream: list[Neighbour]
    why: str | None
    mapped: list[MapInstance] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    result: str | None = None
    result_note: str | None = None
    traceback: str | None = None

    @property
    def is_mapped(self) -> bool:
        return bool(self.mapped) or bool(self.spec.get("map_sources"))

    @property
    def label(self) -> str:
        return self.task_id if self.map_index < 0 else f"{self.task_id}[{self.map_index}]"


def _branch_choices(conn: sa.Connection, run_id: str, branches: list[str]) -> dict[str, list[str]]:
    if not branches:
        return {}
    rows = conn.execute(sa.select(xcom.c.task_id, xcom.c.value_json).where(
        xcom.c.run_id == run_id, xcom.c.task_id.in_(branches), xcom.c.key == "return_value")).all()
    chosen: dict[str, list[str]] = {}
    for r in rows:
        value = json.loads(r.value_json) if r.value_json else None
        chosen[r.task_id] = [value] if isinstance(value, str) else list(value or [])
    return chosen


def _names(tasks: list[str]) -> str:
    return ", ".join(f"'{t}'" for t in tasks)


def explain(state: str, task: dict[str, Any], run_state: str, is_paused: bool,
            ups: dict[str, str], spec_tasks: dict[str, Any], branch_choices: dict[str, list[str]],
            instance: try_store.InstanceRow | None) -> str | None:
    """Why a task is in `state` without having run (or while it waits); None when it ran. Pure.

    `ups` maps each upstream task to its (folded) state in the run."""
    rule = task.get("trigger_rule", "all_success")
    if instance is None:
        return ("This run has no instance of this task: the run started with a version of the "
                "DAG without it, or the task's instances are not created yet (a mapped task "
                "waits for the list it maps over).")
    if state == "upstream_failed":
        bad = [u for u, s in ups.items() if s in ("failed", "upstream_failed")]
        return (f"Not run: upstream {_names(bad) or 'task'} failed, and its trigger rule is "
                f"{rule}." if bad else f"Not run: an upstream task failed (trigger rule {rule}).")
    if state == "skipped" and not (instance.try_number and instance.error):
        for u in ups:
            if spec_tasks.get(u, {}).get("is_branch") and ups[u] == "success":
                chose = branch_choices.get(u, [])
                return (f"Skipped by branch '{u}', which chose {_names(chose) or 'no task'}.")
        skipped = [u for u, s in ups.items() if s == "skipped"]
        if skipped:
            return f"Skipped: upstream {_names(skipped)} was skipped (trigger rule {rule})."
        return "Skipped without running."
    if state == "skipped":
        return f"Skipped itself while running: {instance.error}"
    if state == "removed":
        return "Removed: the DAG's current version no longer has this task, so it will not run."
    if state == "scheduled":
        if run_state == "queued":
            return ("Waiting: the run is queued" + (" and the DAG is paused; unpause it to start the "
                    "run." if is_paused else " (the DAG's max_active_runs is reached, or no "
                    "scheduler is running)."))
        waiting = [u for u, s in ups.items() if s not in FINISHED]
        if waiting:
            return f"Waiting for upstream {_names(waiting)} to finish (trigger rule {rule})."
        return "Ready: waiting for the scheduler to queue it."
    if state == "queued":
        return "Queued: handed to the executor, waiting for a free worker slot."
    if state == "up_for_retry":
        when = instance.next_try_at.strftime("%Y-%m-%d %H:%M:%S UTC") if instance.next_try_at else "soon"
        return f"Try {instance.try_number} failed; the next try is due at {when}."
    if state == "deferred":
        return "Deferred: a sensor or trigger is waiting without holding a worker slot."
    if state == "cancelled":
        return "The run was cancelled before this task finished."
    return None


def _tries(conn: sa.Connection, run_id: str, task_id: str, map_index: int,
           instance: try_store.InstanceRow | None) -> list[TryView]:
    rows = [t for t in try_store.tries_of(conn, run_id, task_id) if t.map_index == map_index]
    tries = [TryView(t.try_number, t.state, t.start_date, t.end_date, t.error_type, t.error,
                     t.callback_error) for t in rows]
    done = {t.number for t in tries}
    if instance is not None and instance.try_number and instance.try_number not in done:
        tries.append(TryView(instance.try_number, instance.state, instance.start_date,
                             instance.end_date, instance.error_type, instance.error))
    return sorted(tries, key=lambda t: t.number, reverse=True)


def _result(settings: Settings, conn: sa.Connection, run_id: str, task_id: str,
            map_index: int) -> tuple[str | None, str | None]:
    row = conn.execute(sa.select(xcom.c.value_json, xcom.c.path, xcom.c.size).where(
        xcom.c.run_id == run_id, xcom.c.task_id == task_id, xcom.c.map_index == map_index,
        xcom.c.key == "return_value")).first()
    if row is None:
        return None, None
    text = row.value_json
    if text is None and row.path:
        path = (settings.results_dir / row.path).resolve()
        if not path.is_relative_to(settings.results_dir.resolve()) or not path.is_file():
            return None, "the result file is missing"
        with path.open(encoding="utf-8", errors="replace") as f:
            text = f.read(PREVIEW_CHARS + 1)
    try:
        text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        pass                                 # a cut large result: show the raw start
    note = f"{row.size:,} bytes" + (", first part shown" if len(text) > PREVIEW_CHARS else "")
    return text[:PREVIEW_CHARS], note


def _neighbours(ids: list[str], states: dict[str, str]) -> list[Neighbour]:
    return [Neighbour(t, states.get(t, "none")) for t in ids]


@dataclass(frozen=True)
class _Found:
    """What one task page is built from, read in one connection."""

    run: run_store.RunRow
    spec_tasks: dict[str, Any]
    paused: bool
    states: dict[str, str]                     # every task's state in the run, folded
    mine: list[try_store.InstanceRow]          # this task's instances, by map index


def _find(settings: Settings, conn: sa.Connection, run_id: str, task_id: str) -> _Found:
    run = run_store.get_run(conn, run_id)
    if run is None:
        raise NotFound(f"no run {run_id!r}")
    spec, paused = stored_spec(settings, run.dag_id)
    by_task: dict[str, list[try_store.InstanceRow]] = defaultdict(list)
    for r in try_store.instances_of_run(conn, run_id):
        by_task[r.task_id].append(r)
    spec_tasks = spec.get("tasks", {})
    if task_id not in spec_tasks and task_id not in by_task:
        raise NotFound(f"run {run_id!r} of DAG {run.dag_id!r} has no task {task_id!r}")
    states = {t: fold_states([r.state for r in rs]) for t, rs in by_task.items()}
    mine = sorted(by_task.get(task_id, []), key=lambda r: r.map_index)
    return _Found(run, spec_tasks, paused, states, mine)


def _why(conn: sa.Connection, f: _Found, task_id: str, state: str,
         focus: try_store.InstanceRow | None) -> str | None:
    task = f.spec_tasks.get(task_id, {})
    ups = {u: f.states.get(u, "none") for u in task.get("upstream", [])}
    branches = [u for u in ups if f.spec_tasks.get(u, {}).get("is_branch")]
    choices = _branch_choices(conn, f.run.run_id, branches) if state == "skipped" else {}
    return explain(state, task, f.run.state, f.paused, ups, f.spec_tasks, choices, focus)


def _map_instances(mine: list[try_store.InstanceRow]) -> list[MapInstance]:
    return [MapInstance(r.map_index, r.state, r.try_number,
                        (r.end_date - r.start_date).total_seconds() if r.start_date and r.end_date else None)
            for r in mine]


def task_page(settings: Settings, run_id: str, task_id: str, map_index: int = -1) -> TaskPage:
    """The page of `task_id` in `run_id` (`map_index` -1: the task, all instances if mapped)."""
    run_id = queries.resolve_run_id(settings, run_id)
    with open_engine(settings.database_url).connect() as conn:
        f = _find(settings, conn, run_id, task_id)
        instance = next((r for r in f.mine if r.map_index == map_index), None)
        if map_index >= 0 and instance is None:
            raise NotFound(f"task {task_id!r} in run {run_id!r} has no map index {map_index}")
        whole_mapped = map_index < 0 and instance is None and bool(f.mine)
        state = f.states.get(task_id, "none") if whole_mapped else (instance.state if instance else "none")
        same = len({r.state for r in f.mine}) == 1            # a mapped task whose instances agree
        focus = (f.mine[0] if same else None) if whole_mapped else instance
        task = f.spec_tasks.get(task_id, {})
        page = TaskPage(f.run, task_id, map_index, state, task, f.paused, instance,
                        _tries(conn, run_id, task_id, map_index, instance) if instance else [],
                        _neighbours(list(task.get("upstream", [])), f.states),
                        _neighbours(list(task.get("downstream", [])), f.states),
                        None if focus is None and whole_mapped else _why(conn, f, task_id, state, focus))
        if whole_mapped or any(r.map_index >= 0 for r in f.mine):
            page.mapped = _map_instances(f.mine)
            page.counts = dict(Counter(r.state for r in f.mine).most_common())
        if instance is not None and instance.state == "success":
            page.result, page.result_note = _result(settings, conn, run_id, task_id, map_index)
    if instance is not None:
        page.traceback = ui_render.traceback_of(settings, f.run, task_id, map_index, page.tries)
    return page
