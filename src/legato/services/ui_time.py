"""The time views of the web UI: the Gantt of a run, each task's duration across runs, and a
calendar of daily outcomes. Each is a fixed number of queries (index dag_id, logical_date for
runs; the primary-key prefix run_id for instances and tries), laid out here as plain numbers
for an SVG the template draws (no charting library, no JavaScript).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ..config import Settings
from ..errors import InvalidInput
from ..store import runs as run_store
from ..store.db import open_engine
from ..store.schema import dag_runs, task_instances, task_tries
from .queries import NotFound
from .ui_format import duration
from .ui_views import _last_runs, dag_shape, fold_states

LABEL_W, CHART_W, ROW_H = 230, 760, 20
MAX_DURATION_RUNS = 500
CALENDAR_DAYS = 371                      # 53 weeks


def _span(start: datetime | None, end: datetime | None) -> float | None:
    return (end - start).total_seconds() if start and end else None


# -- Gantt --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    state: str
    label: str                           # accessible name: task, try, state, times, duration


@dataclass
class GanttRow:
    name: str                            # "task" or "task[3]"
    task_id: str
    map_index: int
    state: str
    bars: list[Bar] = field(default_factory=list)


@dataclass
class GanttView:
    dag_id: str
    run: run_store.RunRow | None
    rows: list[GanttRow]
    start: datetime | None
    end: datetime | None
    ticks: list[tuple[float, str]]       # x, label

    @property
    def height(self) -> int:
        return 30 + ROW_H * max(len(self.rows), 1)


def _ticks(total_s: float) -> list[tuple[float, str]]:
    steps = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200,
             14400, 43200, 86400]
    step = next((s for s in steps if total_s / s <= 8), 86400 * max(1, round(total_s / 86400 / 8)))
    out, t = [], 0.0
    while t <= total_s + 1e-9:
        out.append((LABEL_W + CHART_W * t / total_s, duration(t) if t else "0"))
        t += step
    return out


def gantt(settings: Settings, dag_id: str, run_id: str | None = None,
          now: datetime | None = None) -> GanttView:
    """One row per task instance of the run (default: the latest), a bar per try."""
    shape = dag_shape(settings, dag_id)
    now = now or datetime.now(UTC)
    with open_engine(settings.database_url).connect() as conn:
        if run_id is None:
            latest = _last_runs(conn, dag_id, 1)
            run_id = latest[0].run_id if latest else None
        run = run_store.get_run(conn, run_id) if run_id else None
        if run_id and (run is None or run.dag_id != dag_id):
            raise NotFound(f"DAG {dag_id!r} has no run {run_id!r}")
        ti, tt = task_instances.c, task_tries.c
        instances = conn.execute(sa.select(ti.task_id, ti.map_index, ti.state, ti.try_number, ti.start_date,
                                           ti.end_date).where(ti.run_id == run_id)).all() if run else []
        tries = conn.execute(sa.select(tt.task_id, tt.map_index, tt.try_number, tt.state, tt.start_date,
                                       tt.end_date).where(tt.run_id == run_id)).all() if run else []
    return _gantt_view(dag_id, run, shape.order, instances, tries, now)


def _gantt_view(dag_id: str, run: run_store.RunRow | None, order: tuple[str, ...], instances: list[Any],
                tries: list[Any], now: datetime) -> GanttView:
    spans: dict[tuple[str, int], list[tuple[int, str, datetime, datetime | None]]] = defaultdict(list)
    for t in tries:
        if t.start_date:
            spans[(t.task_id, t.map_index)].append((t.try_number, t.state, t.start_date, t.end_date))
    for i in instances:
        done = {n for n, *_ in spans[(i.task_id, i.map_index)]}
        if i.start_date and i.try_number not in done:
            spans[(i.task_id, i.map_index)].append((i.try_number, i.state, i.start_date, i.end_date))
    starts = [s for v in spans.values() for _, _, s, _ in v]
    ends = [e or now for v in spans.values() for _, _, _, e in v]
    start = min(starts, default=None) or (run.start_date if run else None)
    end = max(ends, default=None) or start
    total = max(((end - start).total_seconds() if start and end else 0.0), 0.001)
    rank = {t: k for k, t in enumerate(order)}
    rows = []
    for i in sorted(instances, key=lambda r: (rank.get(r.task_id, len(rank)), r.task_id, r.map_index)):
        name = i.task_id if i.map_index < 0 else f"{i.task_id}[{i.map_index}]"
        row = GanttRow(name, i.task_id, i.map_index, i.state)
        for number, state, s, e in sorted(spans[(i.task_id, i.map_index)]):
            x0 = (s - start).total_seconds() / total
            x1 = ((e or now) - start).total_seconds() / total
            label = _bar_label(name, number, state, s, e, now)
            row.bars.append(Bar(LABEL_W + CHART_W * x0, max(CHART_W * (x1 - x0), 2.0), state, label))
        rows.append(row)
    return GanttView(dag_id, run, rows, start, end, _ticks(total) if start else [])


def _bar_label(name: str, number: int, state: str, start: datetime, end: datetime | None,
               now: datetime) -> str:
    took = duration(((end or now) - start).total_seconds())
    return f"{name} try {number}: {state}, started {start:%H:%M:%S}, {took}{'' if end else ' so far'}"


# -- durations across runs ----------------------------------------------------------------

@dataclass(frozen=True)
class TaskStats:
    task_id: str
    runs: int
    median_s: float | None
    p90_s: float | None
    max_s: float | None
    last_s: float | None


@dataclass
class DurationView:
    dag_id: str
    task_id: str | None                        # None: the whole run
    tasks: list[str]
    points: list[tuple[str, str, datetime, float | None]]    # run_id, state, logical date, seconds
    stats: list[TaskStats]
    max_s: float

    @property
    def bar_w(self) -> float:
        return CHART_W / max(len(self.points), 1)


def _stats(task_id: str, values: list[float]) -> TaskStats:
    if not values:
        return TaskStats(task_id, 0, None, None, None, None)
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return TaskStats(task_id, len(values), statistics.median(values), p90, ordered[-1], values[-1])


def durations(settings: Settings, dag_id: str, runs: int = 50, task_id: str | None = None) -> DurationView:
    """The last `runs` runs: each run's (or `task_id`'s) duration, and per-task statistics."""
    if not 1 <= runs <= MAX_DURATION_RUNS:
        raise InvalidInput(f"runs must be between 1 and {MAX_DURATION_RUNS}, not {runs}")
    shape = dag_shape(settings, dag_id)
    if task_id is not None and task_id not in shape.order:
        raise NotFound(f"DAG {dag_id!r} has no task {task_id!r}")
    ti, dr = task_instances.c, dag_runs.c
    with open_engine(settings.database_url).connect() as conn:
        rows = conn.execute(sa.select(dr.run_id, dr.state, dr.logical_date, dr.start_date, dr.end_date)
                            .where(dr.dag_id == dag_id)
                            .order_by(dr.logical_date.desc(), dr.created_at.desc()).limit(runs)).all()
        rows = list(reversed(rows))
        inst = conn.execute(sa.select(ti.run_id, ti.task_id, ti.state, ti.start_date, ti.end_date)
                            .where(ti.run_id.in_([r.run_id for r in rows]))).all() if rows else []
    per: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for i in inst:
        per[(i.run_id, i.task_id)].append(i)
    by_task: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        for t in shape.order:
            spans = [s for i in per.get((r.run_id, t), [])
                     if (s := _span(i.start_date, i.end_date)) is not None]
            if spans:
                by_task[t].append(max(spans))
    points = []
    for r in rows:
        if task_id is None:
            points.append((r.run_id, r.state, r.logical_date, _span(r.start_date, r.end_date)))
        else:
            mine = per.get((r.run_id, task_id), [])
            spans = [s for i in mine if (s := _span(i.start_date, i.end_date)) is not None]
            points.append((r.run_id, fold_states([i.state for i in mine]) if mine else "none", r.logical_date,
                           max(spans, default=None)))
    stats = [_stats(t, by_task.get(t, [])) for t in shape.order]
    top = max((p[3] for p in points if p[3] is not None), default=0.0)
    return DurationView(dag_id, task_id, list(shape.order), points, stats, max(top, 0.001))


# -- calendar -----------------------------------------------------------------------------

_WORST = ("failed", "cancelled", "running", "queued", "success")


@dataclass(frozen=True)
class Day:
    day: date
    week: int
    weekday: int
    runs: int
    state: str                                  # the worst outcome of the day, "none" without runs
    counts: tuple[tuple[str, int], ...]
    first_run: str | None


@dataclass
class CalendarView:
    dag_id: str
    days: list[Day]
    weeks: int
    months: list[tuple[int, str]]               # week column, month name


def calendar(settings: Settings, dag_id: str, today: date | None = None) -> CalendarView:
    """Daily outcomes (by logical date, UTC) of the last 53 weeks: one query over the index."""
    dag_shape(settings, dag_id)                 # NotFound for an unknown DAG
    today = today or datetime.now(UTC).date()
    first = today - timedelta(days=CALENDAR_DAYS - 1)
    first -= timedelta(days=first.weekday())    # weeks start on Monday
    since = datetime(first.year, first.month, first.day, tzinfo=UTC)
    dr = dag_runs.c
    with open_engine(settings.database_url).connect() as conn:
        rows = conn.execute(sa.select(dr.run_id, dr.state, dr.logical_date)
                            .where(dr.dag_id == dag_id, dr.logical_date >= since)
                            .order_by(dr.logical_date)).all()
    per_day: dict[date, list[Any]] = defaultdict(list)
    for r in rows:
        per_day[r.logical_date.astimezone(UTC).date()].append(r)
    days, months, d = [], [], first
    while d <= today:
        week = (d - first).days // 7
        if d.day == 1 or not months:
            months.append((week, d.strftime("%b")))
        runs = per_day.get(d, [])
        counts = defaultdict(int)
        for r in runs:
            counts[r.state] += 1
        worst = next((s for s in _WORST if counts.get(s)), "none" if not runs else runs[0].state)
        days.append(Day(d, week, d.weekday(), len(runs), worst, tuple(sorted(counts.items())),
                        runs[0].run_id if runs else None))
        d += timedelta(days=1)
    return CalendarView(dag_id, days, days[-1].week + 1 if days else 0, months)
