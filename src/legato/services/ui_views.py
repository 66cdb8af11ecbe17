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
from typing import Any

import sqlalchemy as sa

from ..authoring.dag import DAG
from ..config import Settings
from ..engine.event_runs import is_dataset_triggered, is_event_triggered
from ..schedules.timetable import dag_timezone, next_due_at
from ..store import dags as dag_store
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
# how the states of a mapped task's instances fold into one cell: the first present wins
_FOLD = ("failed", "upstream_failed", "up_for_retry", "running", "deferred", "queued", "scheduled",
         "success", "skipped")


def fold_states(states: Sequence[str]) -> str:
    """One state for a cell that stands for several instances (a mapped task)."""
    present = set(states)
    return next((s for s in _FOLD if s in present), states[0] if states else "none")


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


# -- the grid -----------------------------------------------------------------------------

@dataclass(frozen=True)
class DagShape:
    """What the UI needs of a DAG's spec: its tasks in order and their upstream tasks."""

    dag_id: str
    order: tuple[str, ...]
    upstream: Mapping[str, tuple[str, ...]]
    is_paused: bool


def dag_shape(settings: Settings, dag_id: str) -> DagShape:
    """From the stored spec (one query), or the DAG file when the DAG was never stored."""
    with open_engine(settings.database_url).connect() as conn:
        row = conn.execute(sa.select(dags.c.spec_json, dags.c.is_paused)
                           .where(dags.c.dag_id == dag_id)).first()
    if row is not None:
        spec, paused = json.loads(row.spec_json), bool(row.is_paused)
    else:
        from .operate import find_dag

        spec, paused = json.loads(find_dag(settings, dag_id).spec_json()), False
    tasks = spec.get("tasks", {})
    order = tuple(spec.get("order") or tasks)
    upstream = {t: tuple(tasks.get(t, {}).get("upstream", ())) for t in order}
    return DagShape(dag_id, order, upstream, paused)


@dataclass
class GridView:
    dag_id: str
    is_paused: bool
    limit: int
    tasks: list[str]
    runs: list[RunCell]                                    # oldest first
    cells: dict[str, dict[str, str]] = field(default_factory=dict)   # run_id -> task_id -> state

    def state(self, run_id: str, task_id: str) -> str:
        return self.cells.get(run_id, {}).get(task_id, "none")


def grid(settings: Settings, dag_id: str, limit: int = DEFAULT_GRID_RUNS) -> GridView:
    """The last `limit` runs of `dag_id` x its tasks: two queries (runs, then their instances)."""
    if not 1 <= limit <= MAX_GRID_RUNS:
        raise ValueError(f"runs must be between 1 and {MAX_GRID_RUNS}, not {limit}")
    shape = dag_shape(settings, dag_id)
    with open_engine(settings.database_url).connect() as conn:
        runs = list(_last_runs(conn, dag_id, limit))
        q = (sa.select(task_instances.c.run_id, task_instances.c.task_id, task_instances.c.state)
             .where(task_instances.c.run_id.in_([r.run_id for r in runs])))
        rows = conn.execute(q).all() if runs else []
    folded: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in rows:
        folded[(r.run_id, r.task_id)].append(r.state)
    tasks = list(shape.order)
    known = set(tasks)
    tasks += sorted({t for _, t in folded if t not in known})   # tasks of older DAG versions
    view = GridView(dag_id, shape.is_paused, limit, tasks, runs)
    for (run_id, task_id), states in folded.items():
        view.cells.setdefault(run_id, {})[task_id] = fold_states(states)
    return view


def grid_json(view: GridView) -> dict[str, Any]:
    return {"dag_id": view.dag_id, "is_paused": view.is_paused, "tasks": view.tasks,
            "runs": [r.to_json() for r in view.runs], "cells": view.cells}


# -- the graph ----------------------------------------------------------------------------

NODE_W, NODE_H, GAP_X, GAP_Y, MARGIN = 160, 32, 60, 16, 10


def layered_layout(order: Sequence[str], upstream: Mapping[str, Sequence[str]]) -> dict[str, tuple[int, int]]:
    """(layer, row) of each task: layer = longest path from a root, rows in `order`. Pure.

    Tasks are visited in topological order (Kahn); upstream ids that are not in `order` are
    ignored, and a task on a cycle (never valid, but stored specs are data) goes last."""
    ups = {t: [u for u in upstream.get(t, ()) if u in upstream] for t in order}
    waiting = {t: len(us) for t, us in ups.items()}
    downs: dict[str, list[str]] = defaultdict(list)
    for t, us in ups.items():
        for u in us:
            downs[u].append(t)
    ready = [t for t in order if waiting[t] == 0]
    layer: dict[str, int] = {}
    while ready:
        task = ready.pop(0)
        layer[task] = 1 + max((layer[u] for u in ups[task] if u in layer), default=-1)
        for d in downs[task]:
            waiting[d] -= 1
            if waiting[d] == 0:
                ready.append(d)
    last = max(layer.values(), default=-1)
    rows: dict[int, int] = defaultdict(int)
    placed = {}
    for task in order:
        col = layer.get(task, last + 1)
        placed[task] = (col, rows[col])
        rows[col] += 1
    return placed


@dataclass(frozen=True)
class GraphNode:
    task_id: str
    x: int
    y: int
    state: str


@dataclass(frozen=True)
class GraphView:
    dag_id: str
    run_id: str | None
    nodes: list[GraphNode]
    edges: list[tuple[int, int, int, int]]             # x1, y1, x2, y2 (right edge -> left edge)
    width: int
    height: int
    node_w: int = NODE_W
    node_h: int = NODE_H


def graph(settings: Settings, dag_id: str, run_id: str | None = None) -> GraphView:
    """The DAG laid out in layers, coloured by the states of `run_id` (default: the latest run)."""
    shape = dag_shape(settings, dag_id)
    with open_engine(settings.database_url).connect() as conn:
        if run_id is None:
            latest = _last_runs(conn, dag_id, 1)
            run_id = latest[0].run_id if latest else None
        elif (found := run_store.get_run(conn, run_id)) is None or found.dag_id != dag_id:
            raise NotFound(f"DAG {dag_id!r} has no run {run_id!r}")
        rows = try_store.instances_of_run(conn, run_id) if run_id else []
    states: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        states[r.task_id].append(r.state)
    places = layered_layout(shape.order, shape.upstream)
    xy = {t: (MARGIN + c * (NODE_W + GAP_X), MARGIN + r * (NODE_H + GAP_Y)) for t, (c, r) in places.items()}
    nodes = [GraphNode(t, x, y, fold_states(states[t]) if states[t] else "none") for t, (x, y) in xy.items()]
    edges = [(xy[u][0] + NODE_W, xy[u][1] + NODE_H // 2, xy[t][0], xy[t][1] + NODE_H // 2)
             for t in shape.order for u in shape.upstream[t] if u in xy]
    width = max((x for x, _ in xy.values()), default=0) + NODE_W + MARGIN
    height = max((y for _, y in xy.values()), default=0) + NODE_H + MARGIN
    return GraphView(dag_id, run_id, nodes, edges, width, height)


# -- a run and a task's log ---------------------------------------------------------------

@dataclass(frozen=True)
class RunView:
    run: run_store.RunRow
    instances: list[try_store.InstanceRow]
    order: tuple[str, ...]


def run_view(settings: Settings, run_id: str) -> RunView:
    """A run and its task instances, in the DAG's order (two queries plus the DAG's spec)."""
    run_id = queries.resolve_run_id(settings, run_id)
    with open_engine(settings.database_url).connect() as conn:
        run = run_store.get_run(conn, run_id)
        rows = try_store.instances_of_run(conn, run_id)
    if run is None:
        raise NotFound(f"no run {run_id!r}")
    try:
        order = dag_shape(settings, run.dag_id).order
    except NotFound:
        order = ()
    rank = {t: i for i, t in enumerate(order)}
    rows.sort(key=lambda r: (rank.get(r.task_id, len(rank)), r.task_id, r.map_index))
    return RunView(run, rows, order)


@dataclass(frozen=True)
class LogView:
    run: run_store.RunRow
    task_id: str
    map_index: int
    try_number: int
    tries: tuple[int, ...]
    map_indexes: tuple[int, ...]                     # of a mapped task; () otherwise
    text: str


def log_view(settings: Settings, run_id: str, task_id: str, try_number: int | None = None,
             map_index: int = -1) -> LogView:
    """The text of one try (the latest by default) and the numbers of all its tries; a mapped
    task asked for without a map index shows its first instance."""
    run_id = queries.resolve_run_id(settings, run_id)
    with open_engine(settings.database_url).connect() as conn:
        rows = conn.execute(sa.select(task_instances.c.map_index, task_instances.c.try_number).where(
            task_instances.c.run_id == run_id, task_instances.c.task_id == task_id)).all()
        run = run_store.get_run(conn, run_id)
    tries = {r.map_index: r.try_number for r in rows}
    mapped = tuple(sorted(i for i in tries if i >= 0))
    if map_index == -1 and -1 not in tries and mapped:
        map_index = mapped[0]
    if run is None:
        raise NotFound(f"no run {run_id!r}")
    found = queries.read_log(settings, run_id, task_id, try_number, map_index)
    latest = max(tries.get(map_index, 0), found.try_number)
    return LogView(run, task_id, map_index, found.try_number, tuple(range(1, latest + 1)), mapped,
                   found.text)


def run_json(view: RunView) -> dict[str, Any]:
    """The poll payload of a run page: its state, and one cell per task (folded over map
    indexes) and per mapped instance (`task[3]`)."""
    cells: dict[str, str] = {}
    by_task: dict[str, list[str]] = defaultdict(list)
    for i in view.instances:
        by_task[i.task_id].append(i.state)
        if i.map_index >= 0:
            cells[f"{i.task_id}[{i.map_index}]"] = i.state
    cells.update({t: fold_states(states) for t, states in by_task.items()})
    run = view.run
    return {"runs": [_cell(run).to_json()], "cells": {run.run_id: cells}}
