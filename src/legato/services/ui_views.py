"""Read models of the web UI: the DAG list, the run grid, the DAG graph, a run, a task's log.

Each view is plain data built with a fixed, small number of queries whatever the store holds:
the grid of the last N runs of a DAG is one query for the runs (index on dag_id, logical_date)
and one for their task instances (primary key prefix run_id), so 1,000 runs of a 100-task DAG
cost the same as ten. The JSON the UI polls every two seconds is `grid_json` of the same view.
The graph layout is computed here, server side (pure function `layered_layout`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa

from ..authoring.dag import DAG
from ..config import Settings
from ..engine.event_runs import is_dataset_triggered, is_event_triggered
from ..errors import InvalidInput
from ..schedules.timetable import dag_timezone, next_due_at
from ..store import dags as dag_store
from ..store import dialect
from ..store import runs as run_store
from ..store import tries as try_store
from ..store.db import open_engine
from ..store.schema import dag_runs, dags, task_instances
from . import queries
from .queries import NotFound

DEFAULT_LAST_RUNS = 10
DEFAULT_GRID_RUNS = 25
MAX_GRID_RUNS = 1000
SCHEDULED_TYPES = ("scheduled",)
RUN_TYPES = ("scheduled", "manual", "backfill", "event", "dataset")
RUN_STATES = ("queued", "running", "success", "failed", "cancelled")
# how the states of a mapped task's instances fold into one cell: the first present wins, so a
# failed, skipped or removed instance is never hidden behind its successful siblings
_FOLD = ("failed", "upstream_failed", "up_for_retry", "running", "deferred", "queued", "scheduled",
         "cancelled", "skipped", "removed", "success")


_RANK = {state: rank for rank, state in enumerate(_FOLD)}


def fold_states(states: Sequence[str]) -> str:
    """One state for a cell that stands for several instances (a mapped task)."""
    present = set(states)
    return next((s for s in _FOLD if s in present), states[0] if states else "none")


def fold_mix(states: Sequence[str]) -> tuple[str, str | None]:
    """(the folded state, the next state present, if the instances differ): the cell shows
    the second one in a corner, so 9 successes and a skip read as both."""
    present = [s for s in _FOLD if s in set(states)]
    if not present:
        return (states[0] if states else "none"), None
    return present[0], present[1] if len(present) > 1 else None


@dataclass(frozen=True)
class RunCell:
    run_id: str
    state: str
    logical_date: datetime
    run_type: str

    def to_json(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "state": self.state, "run_type": self.run_type,
                "logical_date": self.logical_date.isoformat()}


@dataclass(frozen=True)
class DagSummary:
    dag_id: str
    file: str
    schedule: str | None
    tasks: int
    tags: tuple[str, ...]
    is_paused: bool
    next_run: datetime | None
    last_runs: tuple[RunCell, ...] = ()        # oldest first, as the cells read left to right
    on_event: bool = False                     # runs come from events or dataset updates

    def to_json(self) -> dict[str, Any]:
        return {"dag_id": self.dag_id, "file": self.file, "schedule": self.schedule,
                "tasks": self.tasks, "tags": list(self.tags), "is_paused": self.is_paused,
                "next_run": self.next_run.isoformat() if self.next_run else None,
                "on_event": self.on_event,
                "last_runs": [c.to_json() for c in self.last_runs]}


@dataclass(frozen=True)
class DagListView:
    dags: list[DagSummary]
    errors: list[dict[str, Any]]


def _cell(r: Any) -> RunCell:
    return RunCell(r.run_id, r.state, r.logical_date, r.run_type)


def _last_runs(conn: sa.Connection, dag_id: str, limit: int) -> tuple[RunCell, ...]:
    q = (sa.select(dag_runs.c.run_id, dag_runs.c.state, dag_runs.c.logical_date, dag_runs.c.run_type)
         .where(dag_runs.c.dag_id == dag_id)
         .order_by(dag_runs.c.logical_date.desc(), dag_runs.c.created_at.desc()).limit(limit))
    return tuple(reversed([_cell(r) for r in conn.execute(q)]))


def next_run(dag: DAG, paused: bool, last_logical_date: datetime | None, now: datetime) -> datetime | None:
    """When the scheduler will next create a run of `dag` (never in the past: a run already due
    is created on its next pass), or None when paused or unscheduled."""
    if paused or dag.schedule is None or dag.start_date is None:
        return None
    due = next_due_at(dag.schedule, start_date=dag.start_date, last_logical_date=last_logical_date,
                      tz=dag_timezone(dag.start_date), end_date=dag.end_date)
    return None if due is None else max(due, now)


def dag_list(settings: Settings, now: datetime | None = None,
             last: int = DEFAULT_LAST_RUNS) -> DagListView:
    """Every DAG on disk with its pause flag, next run and `last` latest runs."""
    now = now or datetime.now(UTC)
    loaded = queries.discover_dags(settings)
    summaries = []
    with open_engine(settings.database_url).connect() as conn:
        paused = dag_store.paused_ids(conn)
        for dag in sorted(loaded.dags, key=lambda d: d.dag_id):
            latest = run_store.last_logical_date(conn, dag.dag_id, SCHEDULED_TYPES)
            summaries.append(DagSummary(
                dag.dag_id, dag.fileloc, dag.spec().schedule, len(dag.tasks), tuple(dag.tags),
                dag.dag_id in paused, next_run(dag, dag.dag_id in paused, latest, now),
                _last_runs(conn, dag.dag_id, last) if last > 0 else (),
                is_event_triggered(dag) or is_dataset_triggered(dag)))
    errors = [{"file": e.file, "line": e.line, "error": e.message} for e in loaded.errors]
    return DagListView(summaries, errors)


DAG_SORTS = ("dag_id", "next_run", "last_run", "schedule", "tasks")


def digest(keys: Any) -> str:
    """A short digest of the ids a page shows (live pages redraw when it changes)."""
    import hashlib

    return hashlib.sha1("\n".join(map(str, keys)).encode()).hexdigest()[:12]


def search_dags(dags: Sequence[DagSummary], q: str | None = None, sort: str = "dag_id",
                desc: bool = False, paused: bool | None = None) -> list[DagSummary]:
    """The DAGs whose id, tag or schedule contains every word of `q` (any case), sorted by
    `sort` (DAG_SORTS; missing values last). Pure."""
    if sort not in DAG_SORTS:
        raise InvalidInput(f"sort must be one of {', '.join(DAG_SORTS)}, not {sort!r}")
    words = (q or "").lower().split()

    def matches(d: DagSummary) -> bool:
        text = " ".join([d.dag_id, *d.tags, d.schedule or ""]).lower()
        return all(w in text for w in words) and (paused is None or d.is_paused == paused)

    def key(d: DagSummary) -> Any:
        return {"dag_id": d.dag_id, "next_run": d.next_run, "schedule": d.schedule,
                "tasks": d.tasks, "last_run": d.last_runs[-1].logical_date if d.last_runs else None}[sort]
    found = [d for d in dags if matches(d)]
    present = sorted((d for d in found if key(d) is not None), key=key, reverse=desc)
    return present + [d for d in found if key(d) is None]


def relative_file(settings: Settings, path: str) -> str:
    """A DAG file as the UI shows it: relative to the DAGs folder (never the server's layout)."""
    from pathlib import Path

    try:
        return str(Path(path).resolve().relative_to(settings.dags_folder.resolve()))
    except (ValueError, OSError):
        return Path(path).name


# -- the grid -----------------------------------------------------------------------------

@dataclass(frozen=True)
class DagShape:
    """What the UI needs of a DAG's spec: its tasks in order and their upstream tasks."""

    dag_id: str
    order: tuple[str, ...]
    upstream: Mapping[str, tuple[str, ...]]
    is_paused: bool
    mapped: frozenset[str] = frozenset()


def stored_spec(settings: Settings, dag_id: str) -> tuple[dict[str, Any], bool]:
    """(the DAG's spec as stored, is_paused): one query, or the DAG file when never stored."""
    with open_engine(settings.database_url).connect() as conn:
        row = conn.execute(sa.select(dags.c.spec_json, dags.c.is_paused)
                           .where(dags.c.dag_id == dag_id)).first()
    if row is not None:
        return json.loads(row.spec_json), bool(row.is_paused)
    from .operate import find_dag

    return json.loads(find_dag(settings, dag_id).spec_json()), False


def dag_shape(settings: Settings, dag_id: str) -> DagShape:
    spec, paused = stored_spec(settings, dag_id)
    tasks = spec.get("tasks", {})
    order = tuple(spec.get("order") or tasks)
    upstream = {t: tuple(tasks.get(t, {}).get("upstream", ())) for t in order}
    mapped = frozenset(t for t in order if tasks.get(t, {}).get("map_sources"))
    return DagShape(dag_id, order, upstream, paused, mapped)


class Cell(NamedTuple):
    """One task of one run in the grid (a mapped task: all its instances folded). A tuple, not
    a dataclass: a 250-run grid builds 25,000 of them."""

    state: str
    mix: str | None = None                 # a second state among the instances
    instances: int = 1
    tries: int = 0
    duration_s: float | None = None        # the longest instance's, from start to end

    @property
    def code(self) -> str:
        return self.state if self.mix is None else f"{self.state}|{self.mix}"


NO_CELL = Cell("none", instances=0)


@dataclass
class GridView:
    dag_id: str
    is_paused: bool
    limit: int
    tasks: list[str]
    runs: list[RunCell]                                    # oldest first
    cells: dict[str, dict[str, Cell]] = field(default_factory=dict)   # run_id -> task_id -> cell
    mapped: frozenset[str] = frozenset()
    state_filter: str | None = None
    type_filter: str | None = None

    def cell(self, run_id: str, task_id: str) -> Cell:
        return self.cells.get(run_id, {}).get(task_id, NO_CELL)

    def state(self, run_id: str, task_id: str) -> str:
        return self.cell(run_id, task_id).state

    @property
    def run_set(self) -> str:
        """A short digest of the runs shown: the page is redrawn when it changes."""
        return digest(r.run_id for r in self.runs)


def _check_filter(value: str | None, allowed: tuple[str, ...], what: str) -> str | None:
    if not value:
        return None
    if value not in allowed:
        raise InvalidInput(f"{what} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _grid_runs(conn: sa.Connection, dag_id: str, limit: int, state: str | None,
               run_type: str | None) -> list[RunCell]:
    q = (sa.select(dag_runs.c.run_id, dag_runs.c.state, dag_runs.c.logical_date, dag_runs.c.run_type)
         .where(dag_runs.c.dag_id == dag_id)
         .order_by(dag_runs.c.logical_date.desc(), dag_runs.c.created_at.desc()).limit(limit))
    if state:
        q = q.where(dag_runs.c.state == state)
    if run_type:
        q = q.where(dag_runs.c.run_type == run_type)
    return list(reversed([_cell(r) for r in conn.execute(q)]))


def _fold_cell(rows: list[Any]) -> Cell:
    """One cell from (state, try_number, seconds) rows; the common one-instance case is direct."""
    if len(rows) == 1:
        state, tries, seconds = rows[0]
        return Cell(state, None, 1, tries, seconds)
    ranked = sorted({r[0] for r in rows}, key=lambda s: _RANK.get(s, len(_RANK)))
    spans = [r[2] for r in rows if r[2] is not None]
    return Cell(ranked[0], ranked[1] if len(ranked) > 1 else None, len(rows), max(r[1] for r in rows),
                max(spans) if spans else None)


def grid(settings: Settings, dag_id: str, limit: int = DEFAULT_GRID_RUNS, *,
         state: str | None = None, run_type: str | None = None) -> GridView:
    """The last `limit` runs of `dag_id` x its tasks: two queries (runs, then their instances)."""
    if not 1 <= limit <= MAX_GRID_RUNS:
        raise InvalidInput(f"runs must be between 1 and {MAX_GRID_RUNS}, not {limit}")
    state = _check_filter(state, RUN_STATES, "state")
    run_type = _check_filter(run_type, RUN_TYPES, "run type")
    shape = dag_shape(settings, dag_id)
    ti = task_instances.c
    with open_engine(settings.database_url).connect() as conn:
        runs = _grid_runs(conn, dag_id, limit, state, run_type)
        took = dialect.seconds_between(conn, ti.start_date, ti.end_date)
        q = (sa.select(ti.run_id, ti.task_id, ti.state, ti.try_number, took)
             .where(ti.run_id.in_([r.run_id for r in runs])))
        rows = conn.execute(q).all() if runs else []
    cells = _cells(rows)
    tasks = list(shape.order)
    known = set(tasks)
    tasks += sorted({t for by_task in cells.values() for t in by_task if t not in known})  # older versions
    return GridView(dag_id, shape.is_paused, limit, tasks, runs, cells, mapped=shape.mapped,
                    state_filter=state, type_filter=run_type)


def _cells(rows: Sequence[Any]) -> dict[str, dict[str, Cell]]:
    """run -> task -> Cell from (run, task, state, tries, seconds) rows, one pass; the rows of a
    mapped task (several per run and task) are folded afterwards."""
    cells: dict[str, dict[str, Cell]] = {}
    several: dict[tuple[str, str], list[Any]] = {}
    for run_id, task_id, state, tries, seconds in rows:
        if seconds is not None and type(seconds) is not float:
            seconds = float(seconds)                       # PostgreSQL's numeric
        by_task = cells.get(run_id)
        if by_task is None:
            by_task = cells[run_id] = {}
        if task_id in by_task:
            first = by_task[task_id]
            several.setdefault((run_id, task_id), [(first.state, first.tries, first.duration_s)]).append(
                (state, tries, seconds))
        else:
            by_task[task_id] = Cell(state, None, 1, tries, seconds)
    for (run_id, task_id), instances in several.items():
        cells[run_id][task_id] = _fold_cell(instances)
    return cells


def grid_json(view: GridView) -> dict[str, Any]:
    """The live payload of a grid: run states, and each run's cells as `state` or `state|mix`."""
    return {"dag_id": view.dag_id, "is_paused": view.is_paused, "tasks": view.tasks, "set": view.run_set,
            "runs": {r.run_id: r.state for r in view.runs},
            "cells": {run_id: {t: c.code for t, c in cells.items()} for run_id, cells in view.cells.items()}}


# -- a run ------------------------------------------------------------------------------

@dataclass(frozen=True)
class RunView:
    run: run_store.RunRow
    instances: list[try_store.InstanceRow]
    order: tuple[str, ...]
    callback_errors: dict[tuple[str, int], str] = field(default_factory=dict)   # latest try's

    @property
    def version(self) -> str:
        """Changes with anything the run page shows (a state, a try, a start or an end, the
        note)."""
        import hashlib

        text = repr((self.run.state, self.run.start_date, self.run.end_date, self.run.note,
                     [(i.task_id, i.map_index, i.state, i.try_number, i.start_date, i.end_date, i.error)
                      for i in self.instances]))
        return hashlib.sha1(text.encode()).hexdigest()[:16]


def run_view(settings: Settings, run_id: str) -> RunView:
    """A run and its task instances, in the DAG's order, with what a task's callback raised
    (three queries plus the DAG's spec)."""
    run_id = queries.resolve_run_id(settings, run_id)
    with open_engine(settings.database_url).connect() as conn:
        run = run_store.get_run(conn, run_id)
        rows = try_store.instances_of_run(conn, run_id)
        raised = try_store.callback_errors_of_run(conn, run_id)
    if run is None:
        raise NotFound(f"no run {run_id!r}")
    try:
        order = dag_shape(settings, run.dag_id).order
    except NotFound:
        order = ()
    rank = {t: i for i, t in enumerate(order)}
    rows.sort(key=lambda r: (rank.get(r.task_id, len(rank)), r.task_id, r.map_index))
    return RunView(run, rows, order, {(t, m): error for t, m, _, error in raised})  # last try wins


def run_json(view: RunView) -> dict[str, Any]:
    """The live payload of a run page (and of a graph following one run): its state, one cell
    per task (folded over map indexes, `state|mix`) and per mapped instance (`task[3]`), and a
    version that changes with tries, starts and ends (the page is redrawn then)."""
    cells: dict[str, str] = {}
    by_task: dict[str, list[str]] = defaultdict(list)
    for i in view.instances:
        by_task[i.task_id].append(i.state)
        if i.map_index >= 0:
            cells[f"{i.task_id}[{i.map_index}]"] = i.state
    for t, states in by_task.items():
        state, mix = fold_mix(states)
        cells[t] = state if mix is None else f"{state}|{mix}"
    run = view.run
    return {"runs": {run.run_id: run.state}, "cells": {run.run_id: cells}, "version": view.version}
