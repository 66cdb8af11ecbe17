"""Sensors: Airflow's BaseSensorOperator (poke / reschedule, timeout, soft_fail,
PokeReturnValue) and the standard sensors, on Legato's sensor signals.

"poke" mode holds the worker and sleeps `poke_interval` between pokes; "reschedule" mode
and deferrable sensors leave the worker between pokes (Legato's Reschedule), keeping the
first poke's time for the timeout. A timeout fails the task without retry (or skips it with
`soft_fail`).
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import subprocess
import time
from datetime import UTC, timedelta
from typing import Any

from ...sensors.signals import Reschedule
from .baseoperator import BaseOperator
from .exceptions import AirflowException, AirflowSensorTimeout, AirflowSkipException


class PokeReturnValue:
    def __init__(self, is_done: bool, xcom_value: Any = None) -> None:
        self.is_done, self.xcom_value = is_done, xcom_value

    def __bool__(self) -> bool:
        return bool(self.is_done)


def _seconds(value: Any) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class BaseSensorOperator(BaseOperator):
    ui_color = "#e6f1f2"

    def __init__(self, *, poke_interval: Any = 60, timeout: Any = 7 * 24 * 3600,
                 soft_fail: bool = False, mode: str = "poke", exponential_backoff: bool = False,
                 max_wait: Any = None, silent_fail: bool = False, never_fail: bool = False,
                 deferrable: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if mode not in ("poke", "reschedule"):
            raise AirflowException(f"The mode must be one of ('poke', 'reschedule'),'{self.dag.dag_id}."
                                   f"{self.task_id}'; received '{mode}'.")
        self.poke_interval, self.timeout = _seconds(poke_interval), _seconds(timeout)
        self.soft_fail, self.mode, self.deferrable = soft_fail, mode, deferrable
        self.exponential_backoff, self.never_fail = exponential_backoff, never_fail

    def poke(self, context: Any) -> bool | PokeReturnValue:
        raise AirflowException("Override me.")

    def _first_poke(self, context: Any) -> float:
        legato_ctx = context["ti"]._ctx
        return getattr(legato_ctx, "sensor_first_poke", None) or time.time()

    def execute(self, context: Any) -> Any:
        first = self._first_poke(context)
        while True:
            try:
                result = self.poke(context)
            except AirflowSkipException:
                raise
            except Exception:
                if self.never_fail:
                    raise AirflowSkipException("sensor failed; never_fail is set") from None
                raise
            if result:
                return result.xcom_value if isinstance(result, PokeReturnValue) else None
            now = time.time()
            if now - first > self.timeout:
                message = f"Sensor has timed out; run duration of {now - first:.1f} seconds " \
                          f"exceeds the specified timeout of {self.timeout}."
                if self.soft_fail:
                    raise AirflowSkipException(message)
                raise AirflowSensorTimeout(message)
            if self.mode == "reschedule" or self.deferrable:
                raise Reschedule(self._next_poke(context, now), first)
            time.sleep(max(0.0, min(self.poke_interval, first + self.timeout - now + 0.01)))


    def _next_poke(self, context: Any, now: float) -> float:
        return now + self.poke_interval


class _TargetSensor(BaseSensorOperator):
    """Done once the clock passes `target()`; a target in the past succeeds at once. Left
    to wait (reschedule mode, deferrable), it comes back at the target, not a poke later."""

    def target(self, context: Any) -> dt.datetime:
        raise NotImplementedError

    def _next_poke(self, context: Any, now: float) -> float:
        return min(now + self.poke_interval, self.target(context).timestamp() + 0.001)

    def poke(self, context: Any) -> bool:
        return dt.datetime.now(UTC) > self.target(context)


class TimeDeltaSensor(_TargetSensor):
    def __init__(self, *, delta: timedelta, deferrable: bool = False,
                 end_from_trigger: bool = False, **kwargs: Any) -> None:
        super().__init__(deferrable=deferrable, **kwargs)
        self.delta = delta

    def target(self, context: Any) -> dt.datetime:
        base = context.get("data_interval_end") or context["dag_run"].run_after
        return base + self.delta


class TimeDeltaSensorAsync(TimeDeltaSensor):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("deferrable", True)
        super().__init__(**kwargs)


class WaitSensor(BaseSensorOperator):
    def __init__(self, *, time_to_wait: Any, deferrable: bool = False, **kwargs: Any) -> None:
        super().__init__(deferrable=deferrable, **kwargs)
        self.time_to_wait = _seconds(time_to_wait)

    def poke(self, context: Any) -> bool:
        return time.time() - self._first_poke(context) >= self.time_to_wait


class DateTimeSensor(_TargetSensor):
    template_fields = ("target_time",)

    def __init__(self, *, target_time: Any, deferrable: bool = False,
                 end_from_trigger: bool = False, **kwargs: Any) -> None:
        super().__init__(deferrable=deferrable, **kwargs)
        self.target_time = target_time.isoformat() if isinstance(target_time, dt.datetime) \
            else target_time

    def target(self, context: Any) -> dt.datetime:
        value = dt.datetime.fromisoformat(str(self.target_time))
        return value if value.tzinfo else value.replace(tzinfo=UTC)


class DateTimeSensorAsync(DateTimeSensor):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("deferrable", True)
        super().__init__(**kwargs)


class TimeSensor(_TargetSensor):
    def __init__(self, *, target_time: dt.time, deferrable: bool = False,
                 end_from_trigger: bool = False, start_from_trigger: bool = False,
                 trigger_kwargs: Any = None, **kwargs: Any) -> None:
        super().__init__(deferrable=deferrable, **kwargs)
        tz = getattr(self.dag.start_date, "tzinfo", None) or UTC
        self.target_datetime = dt.datetime.combine(dt.datetime.now(tz).date(), target_time,
                                                   tz).astimezone(UTC)

    def target(self, context: Any) -> dt.datetime:
        return self.target_datetime


class TimeSensorAsync(TimeSensor):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("deferrable", True)
        super().__init__(**kwargs)


class FileSensor(BaseSensorOperator):
    template_fields = ("filepath",)
    ui_color = "#91818a"

    def __init__(self, *, filepath: str, fs_conn_id: str = "fs_default",
                 recursive: bool = False, deferrable: bool = False, start_from_trigger: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(deferrable=deferrable, **kwargs)
        self.filepath, self.fs_conn_id, self.recursive = filepath, fs_conn_id, recursive

    def _base(self) -> str:
        """The connection's `path` extra; as in Airflow 3, the connection must exist (there is
        no default `fs_default`: set AIRFLOW_CONN_FS_DEFAULT or LEGATO_CONN_FS_DEFAULT)."""
        from .models import get_connection

        return get_connection(self.fs_conn_id).extra_dejson.get("path", "")

    def poke(self, context: Any) -> bool:
        full = os.path.join(self._base(), str(self.filepath))
        for path in glob.glob(full, recursive=self.recursive):
            if os.path.isfile(path):
                return True
            if any(files for _, _, files in os.walk(path)):
                return True
        return False


def call_poke(op: Any, context: Any) -> Any:
    from .operators import _run_callable, determine_kwargs

    merged = {**context, **op.op_kwargs}
    kwargs = determine_kwargs(op.python_callable, op.op_args, merged)
    return _run_callable(op.python_callable, op.op_args, kwargs, context)


class PythonSensor(BaseSensorOperator):
    template_fields = ("templates_dict", "op_args", "op_kwargs")

    def __init__(self, *, python_callable: Any, op_args: Any = None,
                 op_kwargs: dict[str, Any] | None = None, templates_dict: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.python_callable, self.templates_dict = python_callable, templates_dict
        self.op_args, self.op_kwargs = list(op_args or []), dict(op_kwargs or {})

    def poke(self, context: Any) -> Any:
        return call_poke(self, {**context, "templates_dict": self.templates_dict})


class BashSensor(BaseSensorOperator):
    template_fields = ("bash_command", "env")

    def __init__(self, *, bash_command: str, env: Any = None, output_encoding: str = "utf-8",
                 retry_exit_code: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bash_command, self.env, self.retry_exit_code = bash_command, env, retry_exit_code

    def poke(self, context: Any) -> bool:
        done = subprocess.run(["bash", "-c", self.bash_command], env=self.env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if done.returncode == 0:
            return True
        if self.retry_exit_code is None or done.returncode == self.retry_exit_code:
            return False
        raise AirflowException(f"Command exited with return code {done.returncode}")


class DayOfWeekSensor(BaseSensorOperator):
    def __init__(self, *, week_day: Any, use_task_logical_date: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        days = [week_day] if isinstance(week_day, str) else list(week_day)
        self.week_days = {str(getattr(d, "name", d)).upper() for d in days}
        self.use_logical = use_task_logical_date

    def poke(self, context: Any) -> bool:
        now = context["logical_date"] if self.use_logical else dt.datetime.now(UTC)
        return now.strftime("%A").upper() in self.week_days


class ExternalTaskSensor(BaseSensorOperator):
    """Waits for a task (or the whole run) of another DAG at the same logical date, as
    recorded in Legato's store."""

    template_fields = ("external_dag_id", "external_task_id", "external_task_ids")

    def __init__(self, *, external_dag_id: str, external_task_id: str | None = None,
                 external_task_ids: Any = None, external_task_group_id: str | None = None,
                 allowed_states: Any = None, skipped_states: Any = None,
                 failed_states: Any = None, execution_delta: timedelta | None = None,
                 execution_date_fn: Any = None, check_existence: bool = False,
                 poll_interval: Any = None, deferrable: bool = False, **kwargs: Any) -> None:
        super().__init__(deferrable=deferrable, **kwargs)
        self.external_dag_id, self.external_task_id = external_dag_id, external_task_id
        self.external_task_ids = list(external_task_ids or ([external_task_id]
                                                            if external_task_id else []))
        self.allowed_states = {str(s) for s in (allowed_states or ["success"])}
        self.skipped_states = {str(s) for s in (skipped_states or [])}
        self.failed_states = {str(s) for s in (failed_states or [])}
        self.execution_delta, self.execution_date_fn = execution_delta, execution_date_fn

    def poke(self, context: Any) -> bool:
        from .triggering import external_states

        when = context["logical_date"]
        if self.execution_delta is not None:
            when = when - self.execution_delta
        elif self.execution_date_fn is not None:
            when = self.execution_date_fn(when)
        states = external_states(self.external_dag_id, self.external_task_ids, when)
        if states and all(s in self.failed_states for s in states):
            raise AirflowException(f"The external DAG {self.external_dag_id} failed.")
        if states and all(s in self.skipped_states for s in states):
            raise AirflowSkipException(f"The external DAG {self.external_dag_id} was skipped.")
        return bool(states) and all(s in self.allowed_states for s in states)


class ExternalTaskMarker(BaseOperator):
    template_fields = ("external_dag_id", "external_task_id", "logical_date")

    def __init__(self, *, external_dag_id: str, external_task_id: str,
                 logical_date: Any = "{{ logical_date.isoformat() }}", recursion_depth: int = 10,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.external_dag_id, self.external_task_id = external_dag_id, external_task_id
        self.logical_date = logical_date

    def execute(self, context: Any) -> None:
        return None
