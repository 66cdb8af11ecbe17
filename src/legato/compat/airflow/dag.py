"""`DAG` and `@dag` with Airflow's signature, building a Legato DAG.

Airflow's arguments are translated once, here: schedules (presets, timetables, assets and
asset expressions, `schedule_interval`), params (Param defaults become the run's params; the
schemas validate each run's values), callbacks (called with an Airflow-shaped context), and
the template settings operators read. What Legato has no use for is kept as an attribute and,
when it would change behaviour, reported once at load (registry.note).
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from ...authoring.dag import DAG as LegatoDAG
from . import registry
from .assets import schedule_assets
from .models import NOTSET, param_defaults
from .timeutil import CronTriggerTimetable, DeltaTriggerTimetable, Timetable

_LEGATO_DIR = str(Path(__file__).resolve().parents[2])
_IGNORED = ("max_active_tasks", "dagrun_timeout", "owner_links", "access_control",
            "default_view", "orientation", "concurrency", "jinja_environment_kwargs",
            "template_undefined", "auto_register", "max_consecutive_failed_dag_runs",
            "disable_bundle_versioning", "dag_display_name", "fail_fast", "sla_miss_callback",
            "deadline", "bundle_name", "bundle_version", "allowed_run_types")
_KNOWN_DEFAULT_ARGS: frozenset[str] | None = None


def _user_file() -> str:
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_LEGATO_DIR):
        frame = frame.f_back
    return frame.f_code.co_filename if frame is not None else "<unknown>"


class AirflowCron(str):
    """A cron string or preset of an Airflow DAG: a manual run's data interval is inferred as
    Airflow 3 does (`manual_interval`, see schedules.timetable.data_interval)."""

    __slots__ = ()
    manual_interval = "trigger"      # Airflow 3's default: CronTriggerTimetable


class AirflowDataCron(AirflowCron):
    __slots__ = ()
    manual_interval = "data"         # CronDataIntervalTimetable (Airflow 2's default)


class AirflowDelta(timedelta):
    __slots__ = ()
    manual_interval = "trigger"


class AirflowDataDelta(AirflowDelta):
    __slots__ = ()
    manual_interval = "data"


def _marked(schedule: Any, data: bool) -> Any:
    if isinstance(schedule, str) and schedule != "@once":
        return (AirflowDataCron if data else AirflowCron)(schedule)
    if isinstance(schedule, timedelta):
        return (AirflowDataDelta if data else AirflowDelta)(seconds=schedule.total_seconds())
    return schedule


def to_schedule(dag_id: str, schedule: Any) -> Any:
    """Airflow's schedule value as one Legato's timetables accept."""
    from .timeutil import CronDataIntervalTimetable, DeltaDataIntervalTimetable

    data = isinstance(schedule, CronDataIntervalTimetable | DeltaDataIntervalTimetable) and \
        not isinstance(schedule, CronTriggerTimetable | DeltaTriggerTimetable)
    return _marked(_translated(dag_id, schedule), data)


def _translated(dag_id: str, schedule: Any) -> Any:
    if isinstance(schedule, Timetable):
        return schedule.legato_schedule
    assets = schedule_assets(schedule)
    if assets == []:
        registry.note(dag_id, "a schedule of asset aliases only runs when triggered on Legato")
        return None
    if assets is not None:
        return assets
    if schedule == "@continuous":
        registry.note(dag_id, "schedule '@continuous' runs only when triggered on Legato")
        return None
    if hasattr(schedule, "months") and hasattr(schedule, "weekday"):   # dateutil relativedelta
        registry.note(dag_id, "relativedelta schedules are not supported; use a cron string")
        return None
    return schedule


def _known_default_args() -> frozenset[str]:
    global _KNOWN_DEFAULT_ARGS
    if _KNOWN_DEFAULT_ARGS is None:
        from . import http, operators, sensors
        from .baseoperator import BaseOperator, accepted_args

        names: set[str] = set()
        for module in (operators, sensors, http):
            for value in vars(module).values():
                if isinstance(value, type) and issubclass(value, BaseOperator):
                    names |= accepted_args(value)
        _KNOWN_DEFAULT_ARGS = frozenset(names)
    return _KNOWN_DEFAULT_ARGS


def check_default_args(dag: Any) -> None:
    """Report, once, default_args keys Legato ignores: features it lacks, and keys no
    operator of the DAG (nor any operator Legato serves) takes."""
    from .baseoperator import NO_EFFECT, accepted_args

    used = {name for t in dag.tasks.values() for name in accepted_args(type(t))}
    dag_id = dag.dag_id
    for key, value in dag.default_args.items():
        if key in NO_EFFECT and value:
            registry.note(dag_id, f"default_args {key}={value!r} has no effect on Legato "
                                  "(see docs/guides/airflow.md)")
        elif key not in used and key not in _known_default_args() and key != "start_date":
            registry.note(dag_id, f"default_args key {key!r} is not an operator argument "
                                  "(a typo?); it is ignored")


def _split_sinks(fn: Any) -> tuple[Any, list[Any]]:
    """(the callbacks, the legato.incidents sink objects) of an on_failure_callback value; a
    sink is recognised by its to_spec(), as DAG(incidents=...) recognises it."""
    if fn is None:
        return None, []
    fns = list(fn) if isinstance(fn, list | tuple) else [fn]
    sinks = [f for f in fns if not isinstance(f, type) and not callable(f)
             and callable(getattr(f, "to_spec", None))]
    if not sinks:
        return fn, []
    rest = [f for f in fns if not any(f is s for s in sinks)]
    return (rest or None), sinks


def _dag_callback(dag: DAG, fn: Any) -> Any:
    if fn is None:
        return None
    fns = list(fn) if isinstance(fn, list | tuple) else [fn]

    def call(info: Any) -> None:
        from .context import Context
        from .execution import callback_context

        context = callback_context(info)               # a Legato Context: Airflow's keys
        if not isinstance(context, Context):
            context = Context(info if isinstance(info, Mapping) else {})
        context.setdefault("dag", dag)
        context["reason"] = getattr(info, "reason", None) or context.get("reason") \
            or context.get("state")
        for f in fns:
            f(context)

    return call


class DAG(LegatoDAG):
    """Airflow's DAG: `DAG("id", schedule=..., start_date=..., default_args=...)`."""

    serves_airflow = True          # its tasks may import airflow names: the runner serves them

    def __init__(self, dag_id: str, description: str | None = None, schedule: Any = NOTSET, *,
                 schedule_interval: Any = NOTSET, timetable: Any = None,
                 start_date: Any = None, end_date: Any = None,
                 default_args: dict[str, Any] | None = None, params: Any = None,
                 catchup: bool | None = None, tags: Any = None, doc_md: str | None = None,
                 max_active_runs: int = 16, on_success_callback: Any = None,
                 on_failure_callback: Any = None, template_searchpath: Any = None,
                 user_defined_macros: dict[str, Any] | None = None,
                 user_defined_filters: dict[str, Any] | None = None,
                 render_template_as_native_obj: bool = False,
                 is_paused_upon_creation: bool | None = None, incidents: Any = (),
                 **kwargs: Any) -> None:
        unknown = [k for k in kwargs if k not in _IGNORED]
        if unknown:
            raise TypeError(f"DAG.__init__() got unexpected keyword argument(s) {unknown}")
        default_args = dict(default_args or {})
        # Legato's incident sinks given where Airflow puts a failure notifier become the DAG's
        # sinks (incidents=): DAG-level on_failure_callback, or default_args' (every task's).
        on_failure_callback, dag_sinks = _split_sinks(on_failure_callback)
        task_callbacks, task_sinks = _split_sinks(default_args.get("on_failure_callback"))
        if task_sinks:
            default_args["on_failure_callback"] = task_callbacks
        incidents = (*incidents, *dag_sinks, *task_sinks)
        if schedule is NOTSET and schedule_interval is not NOTSET:
            registry.note(dag_id, "schedule_interval is deprecated (removed in Airflow 3): "
                                  "use schedule=")
            schedule = schedule_interval
        if schedule is NOTSET:
            schedule = timetable
        values, self.param_schemas = param_defaults(params)
        super().__init__(
            dag_id, schedule=to_schedule(dag_id, schedule),
            start_date=start_date or default_args.get("start_date"),
            end_date=end_date or default_args.get("end_date"),
            catchup=bool(catchup), max_active_runs=max_active_runs,
            default_args=default_args, params=values, tags=tags or (),
            description=description, on_failure_callback=None, on_success_callback=None,
            is_paused_upon_creation=is_paused_upon_creation, incidents=incidents)
        self.fileloc = _user_file()
        self.on_success_callback = _dag_callback(self, on_success_callback)
        self.on_failure_callback = _dag_callback(self, on_failure_callback)
        self.airflow_schedule = schedule
        self.doc_md = doc_md
        self.template_searchpath = template_searchpath
        self.user_defined_macros = user_defined_macros
        self.user_defined_filters = user_defined_filters
        self.render_template_as_native_obj = render_template_as_native_obj
        self.airflow_options = dict(kwargs)
        self._short_circuit_guards: set[str] = set()
        registry.register(self)

    def check_default_args(self) -> None:
        check_default_args(self)

    # -- Airflow API ---------------------------------------------------------------------
    @property
    def task_ids(self) -> list[str]:
        return list(self.tasks)

    @property
    def task_dict(self) -> dict[str, Any]:
        return dict(self.tasks)

    def get_task(self, task_id: str) -> Any:
        return self.tasks[task_id]

    def has_task(self, task_id: str) -> bool:
        return task_id in self.tasks

    @property
    def roots(self) -> list[Any]:
        return [t for tid, t in self.tasks.items() if not self.upstream_of(tid)]

    @property
    def leaves(self) -> list[Any]:
        return [t for tid, t in self.tasks.items() if not self.downstream_of(tid)]

    def validated_params(self, given: Mapping[str, Any] | None) -> dict[str, Any]:
        """The run's params checked against the DAG's Param schemas (ParamValidationError)."""
        merged = {**self.params, **(given or {})}
        for name, param in self.param_schemas.items():
            merged[name] = param.resolve(merged.get(name, NOTSET), name)
        return merged

    def run(self, logical_date: Any = None, params: Mapping[str, Any] | None = None,
            **kwargs: Any) -> Any:
        return super().run(logical_date, self.validated_params(params), **kwargs)

    def test(self, logical_date: Any = None, run_conf: Mapping[str, Any] | None = None,
             **_: Any) -> Any:
        """Airflow's `dag.test()`: run once, now, in this process."""
        return self.run(logical_date, run_conf)


def dag(dag_id: Any = None, **dag_kwargs: Any) -> Any:
    """`@dag` / `@dag(...)`: calling the decorated function builds (and returns) the DAG; its
    parameters become DAG params, handed to the body as references to the run's values."""
    if callable(dag_id) and not dag_kwargs:
        return _dag_factory(dag_id, {})
    if dag_id is not None:
        dag_kwargs["dag_id"] = dag_id
    return lambda fn: _dag_factory(fn, dag_kwargs)


def _dag_factory(fn: Callable[..., Any], options: dict[str, Any]) -> Callable[..., DAG]:
    @functools.wraps(fn)
    def factory(*args: Any, **kwargs: Any) -> DAG:
        from .xcom_arg import DagParam

        opts = dict(options)
        dag_id = opts.pop("dag_id", None) or fn.__name__
        bound = inspect.signature(fn).bind_partial(*args, **kwargs)
        bound.apply_defaults()
        params = dict(opts.pop("params", None) or {})
        for name, value in bound.arguments.items():
            params.setdefault(name, value)
        opts.setdefault("doc_md", fn.__doc__)
        new = DAG(dag_id, params=params, **opts)
        new.fileloc = _user_file()
        with new:
            fn(**{name: DagParam(name, params.get(name)) for name in bound.arguments})
        return new

    return factory


DagRun = __import__(f"{__package__}.context", fromlist=["DagRun"]).DagRun
