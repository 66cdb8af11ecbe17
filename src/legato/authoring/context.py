"""`Context`: what a running task can see about itself and its run.

One object per try, built by the runner. Attributes are the SPEC's list; `ctx["ds"]` and
`**context` parameters work too, for code written against Airflow. Everything the context
reaches outside the task (upstream results, pushed values, the log) goes through the small
`XComAccess` seam the runner hands in, so this module knows nothing of storage.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextvars import ContextVar, Token
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from .variables import ConnectionAccessor, VariableAccessor

if TYPE_CHECKING:
    from .dag import DAG
    from .task import Task

CONTEXT_KEYS: tuple[str, ...] = (
    "ds", "ds_nodash", "ts", "ts_nodash", "logical_date", "data_interval_start",
    "data_interval_end", "run_id", "dag_id", "task_id", "map_index", "try_number", "params",
    "event", "log", "var", "conn", "ti", "dag", "task",
)


_current: ContextVar[Context | None] = ContextVar("legato_current_context", default=None)


def current_context() -> Context | None:
    """The context of the task try running in this thread (or process), or None outside one.

    Lets library code called from a task (`legato.quality.validate`) attribute what it does
    to the dag, task, run and try without the author passing `ctx` along."""
    return _current.get()


def set_current_context(ctx: Context | None) -> Token[Context | None]:
    """Set by the runner around one try; pass the token to `reset_current_context`."""
    return _current.set(ctx)


def reset_current_context(token: Token[Context | None]) -> None:
    _current.reset(token)


class XComAccess(Protocol):
    def pull(self, task_id: str, key: str) -> Any: ...
    def push(self, key: str, value: Any) -> None: ...


class TaskInstanceView:
    """Airflow's `ti`, reduced to what task code uses: ids, try number and XCom."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self.task_id = ctx.task_id
        self.dag_id = ctx.dag_id
        self.run_id = ctx.run_id
        self.map_index = ctx.map_index
        self.try_number = ctx.try_number

    def xcom_pull(
        self, task_ids: str | list[str] | None = None, key: str = "return_value", **_: Any
    ) -> Any:
        if task_ids is None:
            task_ids = self.task_id
        if isinstance(task_ids, (list, tuple)):
            return [self._ctx.xcom_pull(t, key=key) for t in task_ids]
        return self._ctx.xcom_pull(task_ids, key=key)

    def xcom_push(self, key: str, value: Any) -> None:
        self._ctx.xcom_push(key, value)

    @property
    def log_url(self) -> str:
        """The web UI's page of this try's log, under LEGATO_BASE_URL (the link incidents send;
        Airflow's `ti.log_url`)."""
        from urllib.parse import quote

        from ..config import load_settings

        url = (f"{load_settings().base_url}/ui/runs/{quote(self.run_id, safe=':')}/tasks/"
               f"{quote(self.task_id, safe='')}/logs?try={self.try_number}")
        return url + (f"&map_index={self.map_index}" if self.map_index >= 0 else "")


class Context:
    """The run context of one task try."""

    var = VariableAccessor()
    conn = ConnectionAccessor()

    def __init__(
        self,
        *,
        dag: DAG,
        task: Task,
        run_id: str,
        logical_date: datetime,
        data_interval_start: datetime,
        data_interval_end: datetime,
        try_number: int,
        map_index: int,
        params: dict[str, Any],
        event: Any,
        log: logging.Logger | logging.LoggerAdapter[logging.Logger],
        xcom: XComAccess,
        deadline: float | None = None,
    ) -> None:
        self.dag = dag
        self.task = task
        self.dag_id = dag.dag_id
        self.task_id = task.task_id
        self.run_id = run_id
        self.logical_date = logical_date
        self.data_interval_start = data_interval_start
        self.data_interval_end = data_interval_end
        self.try_number = try_number
        self.map_index = map_index
        self.params = params
        self.event = event
        self.log = log
        self.deadline = deadline
        self.exception: str | None = None     # set for failure and retry callbacks
        self.reason: str | None = None        # a DAG callback's: "success" | "task_failure"
        self.state: str | None = None         # a DAG callback's: the run's final state
        self.extra_keys: tuple[str, ...] = ()  # keys a callback's context adds to CONTEXT_KEYS
        self._xcom = xcom

    @property
    def ds(self) -> str:
        return self.logical_date.strftime("%Y-%m-%d")

    @property
    def ds_nodash(self) -> str:
        return self.logical_date.strftime("%Y%m%d")

    @property
    def ts(self) -> str:
        return self.logical_date.isoformat()

    @property
    def ts_nodash(self) -> str:
        return self.logical_date.strftime("%Y%m%dT%H%M%S")

    @property
    def ti(self) -> TaskInstanceView:
        return TaskInstanceView(self)

    def xcom_pull(self, task_id: str, key: str = "return_value") -> Any:
        """A value an upstream task returned (or pushed under `key`); mapped tasks give a list."""
        return self._xcom.pull(task_id, key)

    def xcom_push(self, key: str, value: Any) -> None:
        """Record `value` under `key` for downstream tasks; stored when the try ends."""
        if key == "return_value":
            raise ValueError("'return_value' is reserved for the task's result; return it instead")
        self._xcom.push(key, value)

    # -- mapping protocol, for ctx["ds"] and **context ------------------------------------
    def __getitem__(self, key: str) -> Any:
        if key in self.keys():
            return getattr(self, key)
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return key in self.keys()

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    def keys(self) -> tuple[str, ...]:
        return CONTEXT_KEYS + self.extra_keys

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key) if key in self.keys() else default

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.keys()}

    def __repr__(self) -> str:
        return f"<Context {self.dag_id}.{self.task_id} run={self.run_id} try={self.try_number}>"
