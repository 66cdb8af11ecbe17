"""The frozen, callable-free description of a DAG: what the engine plans with and the store keeps.

Everything here is plain data (strings, numbers, tuples) so it can cross process and machine
boundaries and be compared between versions of a DAG file. Stored field names are never
renamed; new fields get defaults.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from .schedule_codec import encode_schedule
from .task import ResultRef

if TYPE_CHECKING:
    from .dag import DAG
    from .task import Task

SPEC_VERSION = 1


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    retries: int = 0
    delay_s: float = 300.0
    exponential: bool = False
    max_delay_s: float | None = None


@dataclass(frozen=True, slots=True)
class MapSource:
    """One expanded argument: a literal list of known length, or an upstream task's result."""

    arg: str
    length: int | None = None
    upstream: str | None = None


@dataclass(frozen=True, slots=True)
class TaskSpec:
    task_id: str
    kind: str
    trigger_rule: str = "all_success"
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout_s: float | None = None
    upstream: tuple[str, ...] = ()
    downstream: tuple[str, ...] = ()
    map_sources: tuple[MapSource, ...] = ()
    is_branch: bool = False
    owner: str = "legato"
    inlets: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()
    is_setup: bool = False
    is_teardown: bool = False
    fail_dagrun: bool = False            # a teardown whose failure fails the run
    setup_upstream: tuple[str, ...] = ()  # the upstream tasks that are setup tasks

    @property
    def is_mapped(self) -> bool:
        return bool(self.map_sources)


@dataclass(frozen=True, slots=True)
class DagSpec:
    dag_id: str
    fileloc: str
    tasks: dict[str, TaskSpec]
    order: tuple[str, ...]
    schedule: str | None = None
    start_date: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    max_active_runs: int = 16
    version: int = SPEC_VERSION
    incidents: tuple[dict[str, Any], ...] = ()    # sink specs, see legato.incidents.config
    datasets: tuple[dict[str, Any], ...] = ()     # catalog metadata of described Datasets
    # What the scheduler needs besides the graph, so it can work from this plain data alone
    # (DAG files are imported in a child process; see engine/dagprocessor.py).
    schedule_def: dict[str, Any] | None = None    # see schedule_codec.py
    timezone: str = "UTC"
    end_date: str | None = None
    catchup: bool = False
    sla_s: float | None = None
    paused_at_creation: bool | None = None        # None: LEGATO_DAGS_PAUSED_AT_CREATION
    dag_callbacks: tuple[str, ...] = ()           # "on_success" / "on_failure" when defined
    description: str | None = None

    @property
    def leaves(self) -> tuple[str, ...]:
        return tuple(t for t in self.order if not self.tasks[t].downstream)

    @property
    def outcome_leaves(self) -> tuple[str, ...]:
        """The leaves whose states decide the run's (Airflow's rule): a teardown, and a task
        followed only by teardowns, is not one unless the teardown has fail_dagrun."""
        def ignorable(t: TaskSpec) -> bool:
            return t.is_teardown and not t.fail_dagrun

        found = tuple(t for t in self.order if not ignorable(self.tasks[t]) and all(
            ignorable(self.tasks[d]) for d in self.tasks[t].downstream))
        return found or self.leaves

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=str, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> DagSpec:
        """The spec `to_json` wrote (also one stored by an older Legato: missing fields take
        their defaults, unknown ones are ignored)."""
        data = json.loads(text)
        tasks = {tid: _task_from(t) for tid, t in data.pop("tasks").items()}
        return cls(tasks=tasks, **_known(cls, data))


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """The fields of dataclass `cls` found in `data`, JSON lists turned back into tuples."""
    names = {f.name for f in fields(cls)}
    return {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names}


def _task_from(data: dict[str, Any]) -> TaskSpec:
    retry = RetryPolicy(**_known(RetryPolicy, data.pop("retry", {})))
    sources = tuple(MapSource(**_known(MapSource, m)) for m in data.pop("map_sources", ()))
    return TaskSpec(retry=retry, map_sources=sources, **_known(TaskSpec, data))


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


def _map_source(arg: str, source: Any) -> MapSource:
    if isinstance(source, ResultRef):
        return MapSource(arg=arg, upstream=source.task_id)
    return MapSource(arg=arg, length=len(source))


def task_spec(task: Task, upstream: tuple[str, ...], downstream: tuple[str, ...]) -> TaskSpec:
    return TaskSpec(
        task_id=task.task_id,
        kind=type(task).__name__,
        trigger_rule=task.trigger_rule,
        retry=RetryPolicy(
            retries=task.retries,
            delay_s=task.retry_delay.total_seconds(),
            exponential=bool(task.retry_exponential_backoff),
            max_delay_s=_seconds(task.max_retry_delay),
        ),
        timeout_s=_seconds(task.execution_timeout),
        upstream=upstream,
        downstream=downstream,
        map_sources=tuple(_map_source(a, s) for a, s in task.map_sources().items()),
        is_branch=task.is_branch,
        owner=str(task.owner),
        inlets=tuple(getattr(d, "uri", str(d)) for d in task.inlets),
        outlets=tuple(getattr(d, "uri", str(d)) for d in task.outlets),
        is_setup=bool(getattr(task, "is_setup", False)),
        is_teardown=bool(getattr(task, "is_teardown", False)),
        fail_dagrun=bool(getattr(task, "on_failure_fail_dagrun", False)),
        setup_upstream=tuple(u for u in upstream if getattr(task.dag.tasks[u], "is_setup", False)),
    )


def _schedule_text(schedule: Any) -> str | None:
    if schedule is None or isinstance(schedule, str):
        return schedule
    if isinstance(schedule, timedelta):
        return f"every {schedule.total_seconds():g}s"
    if isinstance(schedule, list | tuple):
        return "dataset: " + ", ".join(getattr(d, "uri", str(d)) for d in schedule)
    if getattr(schedule, "is_event_trigger", False):
        return str(schedule.describe())
    return repr(schedule)


def build_spec(dag: DAG) -> DagSpec:
    order = tuple(dag.topological_order())
    downstream: dict[str, list[str]] = {t: [] for t in order}
    for t in order:
        for up in dag.upstream_of(t):
            downstream[up].append(t)
    tasks = {
        t: task_spec(dag.tasks[t], dag.upstream_of(t), tuple(downstream[t])) for t in order
    }
    return DagSpec(
        dag_id=dag.dag_id,
        fileloc=dag.fileloc,
        tasks=tasks,
        order=order,
        schedule=_schedule_text(dag.schedule),
        start_date=dag.start_date.isoformat() if dag.start_date else None,
        params=dict(dag.params),
        tags=dag.tags,
        max_active_runs=dag.max_active_runs,
        incidents=tuple(s.to_spec() for s in dag.incidents),
        datasets=_dataset_entries(dag, order),
        schedule_def=encode_schedule(dag.schedule),
        timezone=getattr(dag.start_date.tzinfo, "key", "UTC") if dag.start_date else "UTC",
        end_date=dag.end_date.isoformat() if dag.end_date else None,
        catchup=dag.catchup,
        sla_s=_seconds(dag.sla),
        paused_at_creation=dag.is_paused_upon_creation,
        dag_callbacks=tuple(name for name in ("on_success", "on_failure")
                            if getattr(dag, f"{name}_callback", None) is not None),
        description=dag.description,
    )


def _dataset_entries(dag: DAG, order: tuple[str, ...]) -> tuple[dict[str, Any], ...]:
    """Catalog metadata of the Datasets this DAG describes (bare URIs carry none); an outlet
    without a domain of its own is published in the DAG's domain."""
    entries: dict[str, dict[str, Any]] = {}
    for t in order:
        task = dag.tasks[t]
        for role, datasets in (("inlet", task.inlets), ("outlet", task.outlets)):
            for d in datasets:
                entry = d.catalog_entry() if hasattr(d, "catalog_entry") else None
                if role == "outlet" and dag.domain and (entry or {}).get("domain") is None:
                    entry = {**(entry or {"uri": d.uri}), "domain": dag.domain}
                if entry is not None:
                    old = entries.get(entry["uri"], {})
                    entries[entry["uri"]] = {**old, **{k: v for k, v in entry.items()
                                                       if v is not None and v is not False}}
    return tuple(entries[u] for u in sorted(entries))
