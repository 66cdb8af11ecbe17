"""The core operators: Empty, Python, Branch, ShortCircuit, Bash, LatestOnly, TriggerDagRun,
datetime and weekday branches, with Airflow's documented behaviour.

A branching operator returns, to Legato's runner, the direct downstream task ids to keep:
Airflow's rule is applied first (a chosen task group means its roots; a downstream task
that is also downstream of a chosen task is kept; unknown ids fail the task).
"""

from __future__ import annotations

import inspect
import itertools
import os
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from .baseoperator import BaseOperator
from .exceptions import AirflowException, AirflowSkipException


class EmptyOperator(BaseOperator):
    ui_color = "#e8f7e4"

    def execute(self, context: Any) -> None:
        return None


DummyOperator = EmptyOperator


class SmoothOperator(BaseOperator):
    """Airflow's sample operator: it only logs a link."""

    ui_color = "#e8f7e4"

    def execute(self, context: Any) -> None:
        context["ti"].log.info("Enjoy Sade - Smooth Operator: https://www.youtube.com/watch?v=4TYv2PhG89A")


def determine_kwargs(fn: Callable[..., Any], op_args: Any, context: dict[str, Any]) -> dict[str, Any]:
    """Airflow's KeywordParameters: context keys (and op_kwargs) the callable asks for."""
    signature = inspect.signature(fn)
    for name in itertools.islice(signature.parameters.keys(), len(op_args)):
        if name in context:
            raise ValueError(f"The key {name!r} in args is a part of kwargs and therefore reserved.")
    if any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()):
        return context
    return {k: context[k] for k in signature.parameters if k in context}


def _run_callable(fn: Callable[..., Any], args: Any, kwargs: dict[str, Any], context: Any) -> Any:
    result = fn(*args, **kwargs)
    if inspect.isgenerator(result):
        from .assets import Metadata

        try:
            while True:
                item = next(result)
                if isinstance(item, Metadata):
                    context["outlet_events"][item.asset].extra.update(item.extra)
        except StopIteration as stop:
            return stop.value
    return result


class PythonOperator(BaseOperator):
    template_fields = ("templates_dict", "op_args", "op_kwargs")
    ui_color = "#ffefeb"

    def __init__(self, *, python_callable: Callable[..., Any], op_args: Any = None,
                 op_kwargs: dict[str, Any] | None = None, templates_dict: Any = None,
                 templates_exts: Any = None, show_return_value_in_logs: bool = True,
                 provide_context: Any = None, **kwargs: Any) -> None:
        if not callable(python_callable) and python_callable is not None:
            raise AirflowException("`python_callable` param must be callable")
        super().__init__(**kwargs)
        self.python_callable = python_callable
        self.op_args = list(op_args or [])
        self.op_kwargs = dict(op_kwargs or {})
        self.templates_dict = templates_dict
        self.show_return_value_in_logs = show_return_value_in_logs
        if templates_exts:
            self.template_ext = tuple(templates_exts)
        if provide_context is not None:
            from .registry import note

            note(self.dag.dag_id, "provide_context is deprecated (Airflow 2 passes the context "
                                  "by parameter name); it is ignored")

    def execute(self, context: Any) -> Any:
        merged = dict(context)
        merged.update(self.op_kwargs)
        merged["templates_dict"] = self.templates_dict
        kwargs = determine_kwargs(self.python_callable, self.op_args, merged)
        return _run_callable(self.python_callable, self.op_args, kwargs, context)


class PythonVirtualenvOperator(PythonOperator):
    """Runs the callable in Legato's interpreter: the requirements are not installed."""

    def __init__(self, *, python_callable: Callable[..., Any], requirements: Any = None,
                 python_version: Any = None, system_site_packages: bool = True,
                 pip_install_options: Any = None, use_dill: bool = False,
                 serializer: Any = None, python: Any = None, expect_airflow: bool = True,
                 venv_cache_path: Any = None, index_urls: Any = None,
                 env_vars: Any = None, inherit_env: bool = True, **kwargs: Any) -> None:
        super().__init__(python_callable=python_callable, **kwargs)
        from .registry import note

        note(self.dag.dag_id, f"{type(self).__name__} {self.task_id!r} runs in Legato's own "
                              "interpreter (no separate virtualenv)")


ExternalPythonOperator = PythonVirtualenvOperator


class BranchPythonVirtualenvOperator(PythonVirtualenvOperator):
    is_branch = True

    def execute(self, context: Any) -> Any:
        return branch_follow(self, super().execute(context))


BranchExternalPythonOperator = BranchPythonVirtualenvOperator


def _descendants(dag: Any, task_id: str) -> set[str]:
    return dag.tasks[task_id].get_flat_relative_ids(upstream=False)


def branch_follow(op: Any, chosen: Any) -> list[str]:
    """Airflow's skip_all_except: the direct downstream task ids that are not skipped."""
    if chosen is None:
        ids: list[str] = []
    elif isinstance(chosen, str):
        ids = [chosen]
    elif isinstance(chosen, Iterable):
        ids = [str(getattr(c, "task_id", c)) for c in chosen]
    else:
        raise AirflowException(f"'branch_task_ids' must be either None, a task ID, or an "
                               f"Iterable of IDs, but got {type(chosen).__name__!r}.")
    groups = getattr(op.dag, "_airflow_groups", {})
    expanded: list[str] = []
    for i in ids:
        expanded.extend(t.task_id for t in groups[i].get_roots()) if i in groups else expanded.append(i)
    invalid = sorted(set(expanded) - set(op.dag.tasks))
    if invalid:
        raise AirflowException(f"'branch_task_ids' must contain only valid task_ids. "
                               f"Invalid tasks found: {set(invalid)}.")
    keep = set(expanded)
    for i in expanded:
        keep |= _descendants(op.dag, i)
    return [d for d in op.downstream_task_ids if d in keep]


class BaseBranchOperator(BaseOperator):
    """Subclasses implement `choose_branch(context)`."""

    is_branch = True

    def choose_branch(self, context: Any) -> Any:
        raise NotImplementedError

    def execute(self, context: Any) -> Any:
        return branch_follow(self, self.choose_branch(context))


class BranchPythonOperator(PythonOperator):
    is_branch = True

    def execute(self, context: Any) -> Any:
        return branch_follow(self, super().execute(context))


class ShortCircuitOperator(PythonOperator):
    """A falsy result skips all downstream tasks (only the direct ones, whose trigger rules
    then decide, with ignore_downstream_trigger_rules=False)."""

    is_branch = True

    def __init__(self, *, ignore_downstream_trigger_rules: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ignore_downstream_trigger_rules = ignore_downstream_trigger_rules
        if ignore_downstream_trigger_rules:
            self.dag._short_circuit_guards.add(self.task_id)

    def execute(self, context: Any) -> Any:
        condition = super().execute(context)
        if condition:
            return list(self.downstream_task_ids)
        if self.ignore_downstream_trigger_rules:
            from .execution import SHORT_CIRCUIT_KEY

            context["ti"].xcom_push(SHORT_CIRCUIT_KEY, True)
        return []


class BashOperator(BaseOperator):
    template_fields = ("bash_command", "env", "cwd")
    template_fields_renderers: ClassVar[dict[str, str]] = {"bash_command": "bash", "env": "json"}
    template_ext = (".sh", ".bash")
    ui_color = "#f0ede4"

    def __init__(self, *, bash_command: Any, env: dict[str, str] | None = None,
                 append_env: bool = False, output_encoding: str = "utf-8",
                 skip_on_exit_code: Any = 99, cwd: str | None = None,
                 output_processor: Callable[[str], Any] = lambda result: result,
                 skip_exit_code: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bash_command, self.env, self.append_env = bash_command, env, append_env
        self.output_encoding, self.cwd, self.output_processor = output_encoding, cwd, output_processor
        code = skip_exit_code if skip_exit_code is not None else skip_on_exit_code
        self.skip_on_exit_code = ([code] if isinstance(code, int) else list(code or []))

    def _environment(self, context: Any) -> dict[str, str]:
        env = self.env
        if env is None:
            env = dict(os.environ)
        elif self.append_env:
            env = {**os.environ, **env}
        ti = context["ti"]
        env = dict(env)
        env.update({"AIRFLOW_CTX_DAG_ID": ti.dag_id, "AIRFLOW_CTX_TASK_ID": ti.task_id,
                    "AIRFLOW_CTX_DAG_RUN_ID": ti.run_id, "AIRFLOW_CTX_TRY_NUMBER": str(ti.try_number),
                    "AIRFLOW_CTX_LOGICAL_DATE": context["ts"]})
        return env

    def execute(self, context: Any) -> Any:
        return run_bash(self, self.bash_command, context)


def run_bash(op: Any, command: Any, context: Any) -> Any:
    """Run `command` with the operator's env/cwd/exit-code settings; the last line is the result."""
    if op.cwd is not None and not os.path.isdir(op.cwd):
        raise AirflowException(f"Can not find the cwd: {op.cwd}")
    if not isinstance(command, str) or not command.strip():
        raise AirflowException("Bash command is empty")
    with tempfile.TemporaryDirectory(prefix="airflowtmp") as tmp:
        done = subprocess.run(["bash", "-c", command], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              env=BashOperator._environment(op, context), cwd=op.cwd or tmp)
    lines = done.stdout.decode(op.output_encoding, errors="backslashreplace").splitlines()
    log = context["ti"].log
    for line in lines:
        log.info(line)
    if done.returncode in op.skip_on_exit_code:
        raise AirflowSkipException(f"Bash command returned exit code {done.returncode}. Skipping.")
    if done.returncode != 0:
        raise AirflowException(f"Bash command failed. The command returned a non-zero exit "
                               f"code {done.returncode}.")
    return op.output_processor(lines[-1] if lines else "")


class LatestOnlyOperator(BaseBranchOperator):
    """Skips its downstream unless the run is the latest scheduled one (manual runs pass)."""

    ui_color = "#e9ffdb"

    def choose_branch(self, context: Any) -> Any:
        everything = list(self.downstream_task_ids)
        dag_run = context["dag_run"]
        if dag_run.run_type == "manual":
            return everything
        from ...schedules.timetable import dag_timezone, next_fire

        schedule = self.dag.schedule
        if schedule is None or isinstance(schedule, list):
            return everything
        left = dag_run.data_interval_end
        right = next_fire(schedule, left, dag_timezone(self.dag.start_date))
        if right is None:
            return everything
        now = datetime.now(UTC)
        return everything if left < now <= right else []


class BranchDateTimeOperator(BaseBranchOperator):
    def __init__(self, *, follow_task_ids_if_true: Any, follow_task_ids_if_false: Any,
                 target_lower: Any = None, target_upper: Any = None,
                 use_task_logical_date: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if target_lower is None and target_upper is None:
            raise AirflowException("Both target_upper and target_lower are None. At least one "
                                   "must be defined to be compared to the current datetime")
        self.true_ids, self.false_ids = follow_task_ids_if_true, follow_task_ids_if_false
        self.lower, self.upper, self.use_logical = target_lower, target_upper, use_task_logical_date

    def choose_branch(self, context: Any) -> Any:
        now = context["logical_date"] if self.use_logical else datetime.now(UTC)
        lower, upper = self.lower, self.upper
        if hasattr(lower, "hour") and not hasattr(lower, "year"):
            lower = datetime.combine(now.date(), lower, tzinfo=now.tzinfo)
        if hasattr(upper, "hour") and not hasattr(upper, "year"):
            upper = datetime.combine(now.date(), upper, tzinfo=now.tzinfo)
        lower = lower.replace(tzinfo=lower.tzinfo or UTC) if lower else None
        upper = upper.replace(tzinfo=upper.tzinfo or UTC) if upper else None
        if lower is not None and upper is not None and upper < lower:
            upper = upper + timedelta(days=1)          # a window across midnight
        if (upper is not None and upper < now) or (lower is not None and lower > now):
            return self.false_ids
        return self.true_ids


class BranchDayOfWeekOperator(BaseBranchOperator):
    def __init__(self, *, follow_task_ids_if_true: Any, follow_task_ids_if_false: Any,
                 week_day: Any, use_task_logical_date: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.true_ids, self.false_ids = follow_task_ids_if_true, follow_task_ids_if_false
        days = [week_day] if isinstance(week_day, str) or not isinstance(week_day, Iterable) else week_day
        self.week_days = {str(getattr(d, "name", d)).upper() for d in days}
        self.use_logical = use_task_logical_date

    def choose_branch(self, context: Any) -> Any:
        now = context["logical_date"] if self.use_logical else datetime.now(UTC)
        return self.true_ids if now.strftime("%A").upper() in self.week_days else self.false_ids


class TriggerDagRunOperator(BaseOperator):
    """Creates a run of another DAG known to Legato's store (`legato dags trigger`)."""

    template_fields = ("trigger_dag_id", "trigger_run_id", "logical_date", "conf")
    ui_color = "#ffefeb"

    def __init__(self, *, trigger_dag_id: str, trigger_run_id: str | None = None,
                 conf: dict[str, Any] | None = None, logical_date: Any = None,
                 reset_dag_run: bool = False, wait_for_completion: bool = False,
                 poke_interval: int = 60, allowed_states: Any = None,
                 failed_states: Any = None, skip_when_already_exists: bool = False,
                 fail_when_dag_is_paused: bool = False, deferrable: bool = False,
                 openlineage_inject_parent_info: bool = True, note: str | None = None,
                 run_after: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.trigger_dag_id, self.trigger_run_id, self.conf = trigger_dag_id, trigger_run_id, conf
        self.logical_date, self.wait_for_completion = logical_date, wait_for_completion

    def execute(self, context: Any) -> Any:
        from .triggering import trigger_run

        return trigger_run(self, context)
