"""`DAG`: an id, a schedule, defaults for its tasks, and the graph of tasks and edges.

A DAG is built by user code (usually as a context manager) and validated as it is built:
ids when they are given, edges when they are made, cycles when the `with` block closes or a
spec is requested. The engine never sees this object's callables; it sees `spec()`, a frozen
description (see spec.py). `run()` is the one door into the engine, imported lazily so that
defining DAGs stays cheap.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .. import collector
from .errors import DagCycleError, DagDefinitionError
from .ids import check_id

if TYPE_CHECKING:
    from types import FrameType

    from ..engine.result import RunResult
    from .spec import DagSpec
    from .task import Task

_active: list[DAG] = []


def current_dag() -> DAG | None:
    """The DAG whose `with` block is open, if any (tasks attach themselves to it)."""
    return _active[-1] if _active else None


def parse_datetime(value: datetime | str, *, what: str) -> datetime:
    """Accept a datetime or an ISO string; naive values are taken as UTC."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError as exc:
            raise DagDefinitionError(f"{what}: {value!r} is not an ISO date or datetime") from exc
    if not isinstance(value, datetime):
        raise DagDefinitionError(f"{what}: expected a datetime or ISO string, got {value!r}")
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _checked_schedule(dag_id: str, schedule: Any) -> Any:
    """Refuse a bad schedule when the DAG is defined, naming the DAG; a dataset list is
    copied, so changing the caller's list later cannot change the schedule."""
    from ..schedules.timetable import ScheduleError, validate_schedule

    try:
        validate_schedule(schedule)
    except ScheduleError as exc:
        raise DagDefinitionError(f"DAG {dag_id!r}: {exc}") from None
    return list(schedule) if isinstance(schedule, list | tuple) else schedule


def _optional_date(value: datetime | str | None, what: str) -> datetime | None:
    return None if value is None else parse_datetime(value, what=what)


class DAG:
    """A pipeline: tasks, the edges between them, and when it runs."""

    def __init__(
        self,
        dag_id: str,
        *,
        schedule: Any = None,
        start_date: datetime | str | None = None,
        end_date: datetime | str | None = None,
        catchup: bool = False,
        max_active_runs: int = 16,
        default_args: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        tags: Iterable[str] = (),
        domain: str | None = None,
        description: str | None = None,
        sla: timedelta | None = None,
        incidents: Iterable[Any] = (),
        on_failure_callback: Any = None,
        on_success_callback: Any = None,
        is_paused_upon_creation: bool | None = None,
    ) -> None:
        self.dag_id = check_id("dag_id", dag_id)
        self.schedule = _checked_schedule(dag_id, schedule)
        self.start_date = _optional_date(start_date, f"DAG {dag_id!r} start_date")
        self.end_date = _optional_date(end_date, f"DAG {dag_id!r} end_date")
        self.catchup = bool(catchup)
        if not isinstance(max_active_runs, int) or max_active_runs < 1:
            raise DagDefinitionError(f"DAG {dag_id!r}: max_active_runs must be a positive int")
        self.max_active_runs = max_active_runs
        self.default_args: dict[str, Any] = dict(default_args or {})
        self.params: dict[str, Any] = dict(params or {})
        self.tags = tuple(tags)
        self.domain = domain
        self.description = description
        self.sla = sla
        self.incidents = _incident_sinks(incidents, dag_id)
        self.on_failure_callback = on_failure_callback
        self.on_success_callback = on_success_callback
        self.is_paused_upon_creation = is_paused_upon_creation
        self.fileloc = _caller_file()
        self.tasks: dict[str, Task] = {}
        self._upstream: dict[str, dict[str, None]] = {}   # task -> its upstream ids, in order
        self._spec: DagSpec | None = None
        self._spec_json = ""

    # -- context manager ---------------------------------------------------------------
    def __enter__(self) -> DAG:
        _active.append(self)
        collector.hold()            # a generated DAG defines thousands of tasks in this block
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        collector.release()
        _active.remove(self)
        if exc_type is None:
            self.check_acyclic()

    def __repr__(self) -> str:
        return f"<DAG {self.dag_id!r} tasks={len(self.tasks)}>"

    # -- graph -------------------------------------------------------------------------
    def add_task(self, task: Task, task_id: str, *, dedupe: bool) -> str:
        """Register `task`; a decorated task's repeated name becomes `name__1`, `name__2`."""
        check_id("task_id", task_id)
        if task_id in self.tasks:
            if not dedupe:
                raise DagDefinitionError(f"DAG {self.dag_id!r} already has a task {task_id!r}")
            n = 1
            while f"{task_id}__{n}" in self.tasks:
                n += 1
            task_id = f"{task_id}__{n}"
        self.tasks[task_id] = task
        self._upstream[task_id] = {}
        self._spec = None
        return task_id

    def set_dependency(self, upstream_id: str, downstream_id: str) -> None:
        if upstream_id == downstream_id:
            raise DagCycleError(f"DAG {self.dag_id!r}: task {upstream_id!r} cannot depend on itself")
        ups = self._upstream[downstream_id]
        if upstream_id not in ups:                 # a dict: O(1) even with 10,000 upstreams
            ups[upstream_id] = None
            self._spec = None

    def upstream_of(self, task_id: str) -> tuple[str, ...]:
        return tuple(self._upstream[task_id])

    def downstream_of(self, task_id: str) -> tuple[str, ...]:
        return tuple(t for t, ups in self._upstream.items() if task_id in ups)

    def topological_order(self) -> list[str]:
        """Task ids, upstream before downstream; raises DagCycleError naming the cycle."""
        order: list[str] = []
        state: dict[str, int] = {}  # 1 = on the current path, 2 = done
        upstream = {t: list(ups) for t, ups in self._upstream.items()}
        for root in self.tasks:
            if root not in state:
                self._visit(root, state, order, upstream)
        return order

    def _visit(self, root: str, state: dict[str, int], order: list[str],
               upstream: dict[str, list[str]]) -> None:
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = []
        while stack:
            node, i = stack.pop()
            if i == 0:
                state[node] = 1
                path.append(node)
            ups = upstream[node]
            if i < len(ups):
                stack.append((node, i + 1))
                nxt = ups[i]
                if state.get(nxt) == 1:
                    cycle = [*path[path.index(nxt):], nxt]
                    shown = " -> ".join(reversed(cycle))
                    raise DagCycleError(f"DAG {self.dag_id!r} has a cycle: {shown}")
                if nxt not in state:
                    stack.append((nxt, 0))
            else:
                state[node] = 2
                path.pop()
                order.append(node)

    def check_acyclic(self) -> None:
        self.topological_order()

    # -- engine-facing -----------------------------------------------------------------
    def spec(self) -> DagSpec:
        """The frozen, callable-free description the engine and store work from."""
        if self._spec is None:
            from .spec import build_spec

            self._spec = build_spec(self)
            self._spec_json = self._spec.to_json()
        return self._spec

    def spec_json(self) -> str:
        """`spec()` as stored JSON, computed once per version of the graph."""
        self.spec()
        return self._spec_json

    def run(
        self,
        logical_date: datetime | str | None = None,
        params: Mapping[str, Any] | None = None,
        *,
        executor: str = "local",
        max_workers: int | None = None,
        event: Any = None,
        on_task: Any = None,
    ) -> RunResult:
        """Run the DAG once, now, in this process, with state kept under $LEGATO_HOME."""
        from ..services.run_once import run_dag

        return run_dag(
            self, logical_date=logical_date, params=params, executor=executor,
            max_workers=max_workers, event=event, on_task=on_task,
        )


def _incident_sinks(sinks: Iterable[Any], dag_id: str) -> tuple[Any, ...]:
    """Sink config objects (legato.incidents), checked here so a typo fails at definition.
    A sink is recognised by its `to_spec()` (what the spec stores), never imported: the
    incidents package sits above authoring."""
    sinks = tuple(sinks)
    for sink in sinks:
        if isinstance(sink, type) or not callable(getattr(sink, "to_spec", None)):
            raise DagDefinitionError(
                f"DAG {dag_id!r}: incidents=[...] takes sink objects (Webhook, Jira, ServiceNow, "
                f"Zendesk, PagerDuty, Opsgenie, Slack from legato.incidents), got {sink!r}")
    return sinks


def _caller_file() -> str:
    frame: FrameType | None = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename == __file__:
        frame = frame.f_back
    return frame.f_code.co_filename if frame is not None else "<unknown>"
