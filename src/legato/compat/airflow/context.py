"""The Airflow task context (`context["ti"]`, `dag_run.conf`, `ds`, ...) over Legato's Context.

Built once per try from the Legato `Context` the runner made, and cached on it. Task code,
templates and callbacks see the keys Airflow documents; values Legato does not track
(previous successful run dates) are None, as on a DAG's first run.
"""

from __future__ import annotations

import contextvars
import functools
from datetime import timedelta
from typing import Any

from ...authoring.context import Context as LegatoContext
from ...authoring.context import TaskInstanceView, current_context
from ...authoring.templating import MACROS
from .timeutil import as_pendulum

_current: contextvars.ContextVar[Context | None] = contextvars.ContextVar(
    "legato_airflow_context", default=None)


class Context(dict):  # type: ignore[type-arg]
    """Airflow's context: a dict of the documented keys."""


class _Var:
    """Templates' and code's `var.value.name` / `var.json.name` (Airflow's accessors)."""

    def __init__(self, deserialize_json: bool = False) -> None:
        self._json = deserialize_json

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.get(name)

    def get(self, name: str, default: Any = None) -> Any:
        from .models import NOTSET, Variable

        return Variable.get(name, default_var=NOTSET if default is None else default,
                            deserialize_json=self._json)


class _Conn:
    def __getattr__(self, conn_id: str) -> Any:
        if conn_id.startswith("_"):
            raise AttributeError(conn_id)
        return self.get(conn_id)

    def get(self, conn_id: str) -> Any:
        from .models import get_connection

        return get_connection(conn_id)


class DagRun:
    """`context["dag_run"]`: ids, dates, run type and `conf` of the running run."""

    def __init__(self, ctx: LegatoContext, conf: dict[str, Any]) -> None:
        self.dag_id = ctx.dag_id
        self.run_id = ctx.run_id
        self.run_type = ctx.run_id.split("__", 1)[0] if "__" in ctx.run_id else "manual"
        self.logical_date = as_pendulum(ctx.logical_date)
        self.execution_date = self.logical_date
        self.data_interval_start = as_pendulum(ctx.data_interval_start)
        self.data_interval_end = as_pendulum(ctx.data_interval_end)
        self.run_after = self.data_interval_end
        self.start_date = self.logical_date
        self.conf = conf
        self.state = "running"
        self.external_trigger = self.run_type == "manual"
        self.triggered_by = "test"

    def get_task_instance(self, task_id: str, map_index: int = -1) -> Any:
        return None


class TaskInstance(TaskInstanceView):
    """`ti` / `task_instance`: Legato's `ti` (ids, the try number, XCom) with the rest of
    what Airflow documents, and XCom pulls as Airflow's (map_indexes, default)."""

    def __init__(self, ctx: LegatoContext, task: Any) -> None:
        super().__init__(ctx)
        self.task = task
        self.max_tries = getattr(task, "retries", 0)
        self.state = "running"
        self.hostname = __import__("socket").gethostname()
        self.logical_date = as_pendulum(ctx.logical_date)
        self.execution_date = self.logical_date
        self.start_date = as_pendulum(__import__("datetime").datetime.now(ctx.logical_date.tzinfo))
        self.end_date = None
        self.operator = type(task).__name__
        self.log = ctx.log

    def _pull_one(self, task_id: str, key: str, map_indexes: Any, default: Any) -> Any:
        try:
            value = self._ctx._xcom.pull(task_id, key)
        except KeyError:
            return default
        if isinstance(map_indexes, int) and isinstance(value, list):
            return value[map_indexes] if 0 <= map_indexes < len(value) else default
        return default if value is None else value

    def xcom_pull(self, task_ids: str | list[str] | tuple[str, ...] | None = None,
                  dag_id: str | None = None, key: str = "return_value",
                  include_prior_dates: bool = False, *, map_indexes: Any = None,
                  default: Any = None, run_id: str | None = None) -> Any:
        if task_ids is None:
            task_ids = self.task_id
        if isinstance(task_ids, str):
            return self._pull_one(task_ids, key, map_indexes, default)
        return [self._pull_one(t, key, map_indexes, default) for t in task_ids]

    def xcom_push(self, key: str, value: Any, **_: Any) -> None:
        self._ctx._xcom.push(key, value)

    def get_dagrun(self) -> Any:
        return airflow_context(self._ctx)["dag_run"]

    def get_template_context(self) -> Context:
        return airflow_context(self._ctx)

    def __repr__(self) -> str:
        return f"<TaskInstance: {self.dag_id}.{self.task_id} {self.run_id} [running]>"


def _conf_of(ctx: LegatoContext) -> dict[str, Any]:
    """The run's conf: the params the trigger passed (values differing from the DAG's)."""
    defaults = getattr(ctx.dag, "params", {}) or {}
    return {k: v for k, v in ctx.params.items() if k not in defaults or defaults[k] != v}


def _params(ctx: LegatoContext, task: Any) -> dict[str, Any]:
    task_params = getattr(task, "params", None) or {}
    from .models import param_defaults

    values, _ = param_defaults(task_params)
    return {**values, **ctx.params}


def _dates(ctx: LegatoContext) -> dict[str, Any]:
    ld = as_pendulum(ctx.logical_date)
    ds = ctx.logical_date.strftime("%Y-%m-%d")
    return {
        "logical_date": ld, "execution_date": ld, "ds": ds, "ds_nodash": ds.replace("-", ""),
        "ts": ctx.logical_date.isoformat(), "ts_nodash": ctx.logical_date.strftime("%Y%m%dT%H%M%S"),
        "ts_nodash_with_tz": ctx.logical_date.isoformat().replace("-", "").replace(":", ""),
        "data_interval_start": as_pendulum(ctx.data_interval_start),
        "data_interval_end": as_pendulum(ctx.data_interval_end),
        "prev_ds": (ctx.logical_date - timedelta(days=1)).strftime("%Y-%m-%d"),
        "next_ds": (ctx.logical_date + timedelta(days=1)).strftime("%Y-%m-%d"),
        "yesterday_ds": (ctx.logical_date - timedelta(days=1)).strftime("%Y-%m-%d"),
        "tomorrow_ds": (ctx.logical_date + timedelta(days=1)).strftime("%Y-%m-%d"),
        "prev_data_interval_start_success": None, "prev_data_interval_end_success": None,
        "prev_start_date_success": None, "prev_end_date_success": None,
    }


@functools.cache
def _macros() -> Any:
    """Airflow's `macros`: Legato's, plus dateutil and random as Airflow exposes them."""
    from types import SimpleNamespace

    extra: dict[str, Any] = {}
    try:
        import dateutil  # an optional dependency, as in Airflow
        import dateutil.relativedelta

        extra["dateutil"] = dateutil
    except ImportError:
        pass
    return SimpleNamespace(**vars(MACROS), **extra)


def airflow_context(ctx: LegatoContext, task: Any = None) -> Context:
    """The Airflow context of the try `ctx` (built once, then shared)."""
    cached = getattr(ctx, "_airflow_context", None)
    if cached is not None:
        if task is not None:
            cached["task"] = task
        return cached
    task = task if task is not None else ctx.task
    ti = TaskInstance(ctx, task)
    from .assets import InletEvents, OutletEventAccessors

    out = Context(_dates(ctx))
    out.update({
        "dag": ctx.dag, "task": task, "ti": ti, "task_instance": ti, "run_id": ctx.run_id,
        "dag_run": DagRun(ctx, _conf_of(ctx)), "params": _params(ctx, task),
        "var": {"value": _Var(False), "json": _Var(True)}, "conn": _Conn(),
        "macros": _macros(), "conf": __import__(f"{__package__}.models", fromlist=["conf"]).conf,
        "inlets": list(getattr(task, "airflow_inlets", getattr(task, "inlets", ()))),
        "outlets": list(getattr(task, "airflow_outlets", getattr(task, "outlets", ()))),
        "outlet_events": OutletEventAccessors(),
        "inlet_events": InletEvents(getattr(task, "airflow_inlets", [])),
        "triggering_asset_events": {}, "triggering_dataset_events": {},
        "map_index_template": None, "test_mode": False, "expanded_ti_count": None,
        "task_instance_key_str": f"{ctx.dag_id}__{ctx.task_id}__{ctx.ds_nodash}",
        "templates_dict": getattr(task, "templates_dict", None), "exception": None,
        "reason": None, "try_number": ctx.try_number,
    })
    ctx._airflow_context = out  # type: ignore[attr-defined]
    return out


def set_current(context: Context | None) -> contextvars.Token[Context | None]:
    return _current.set(context)


def reset_current(token: contextvars.Token[Context | None]) -> None:
    _current.reset(token)


def get_current_context() -> Context:
    """The running task's Airflow context (inside a task only, as in Airflow)."""
    found = _current.get()
    if found is not None:
        return found
    ctx = current_context()
    if ctx is None:
        raise RuntimeError("Current context was requested but no context was found! "
                           "Are you running within a task?")
    return airflow_context(ctx)


def get_parsing_context() -> Any:
    from types import SimpleNamespace

    return SimpleNamespace(dag_id=None, task_id=None)
