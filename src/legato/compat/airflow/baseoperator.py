"""`BaseOperator`: Airflow's operator contract on top of a Legato `Task`.

What Airflow does at definition is done here: `default_args` fill any constructor argument
of the operator's class hierarchy (DAG, then task-group, then the `default_args=` argument),
unknown constructor arguments are refused as Airflow refuses them, task ids take their task
group's prefix, templated fields that name a `template_ext` file are read from the DAG's
folder or `template_searchpath`, and XComArgs inside arguments become edges. Each subclass's
`execute(context)` is wrapped so that Legato's runner, which calls `execute(legato_ctx)`,
goes through `execution.run_operator` (Airflow context, mapping, XCom, callbacks).
"""

from __future__ import annotations

import functools
import inspect
import itertools
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from typing import Any, ClassVar

from ...authoring.dag import current_dag
from ...authoring.task import Task
from .enums import LEGACY_RULES
from .exceptions import AirflowException
from .models import DependencyMixin

BASE_ARGS = frozenset({
    "task_id", "owner", "email", "email_on_retry", "email_on_failure", "retries",
    "retry_delay", "retry_exponential_backoff", "max_retry_delay", "start_date", "end_date",
    "depends_on_past", "ignore_first_depends_on_past", "wait_for_past_depends_before_skipping",
    "wait_for_downstream", "dag", "params", "default_args", "priority_weight", "weight_rule",
    "queue", "pool", "pool_slots", "sla", "execution_timeout", "on_execute_callback",
    "on_failure_callback", "on_success_callback", "on_retry_callback", "on_skipped_callback",
    "pre_execute", "post_execute", "trigger_rule", "resources", "run_as_user",
    "task_concurrency", "max_active_tis_per_dag", "max_active_tis_per_dagrun", "executor",
    "executor_config", "do_xcom_push", "multiple_outputs", "inlets", "outlets", "task_group",
    "doc", "doc_md", "doc_json", "doc_yaml", "doc_rst", "task_display_name", "logger_name",
    "allow_nested_operators", "render_template_as_native_obj", "map_index_template",
    "retry_delay_multiplier", "email_on_success", "has_on_execute_callback",
})
# Accepted and kept, but Legato has no such feature: reported once when set to a true value.
NO_EFFECT = frozenset({
    "email", "email_on_retry", "email_on_failure", "depends_on_past", "wait_for_downstream",
    "sla", "pool", "pool_slots", "queue", "priority_weight", "weight_rule", "run_as_user",
    "resources", "executor_config", "executor", "max_active_tis_per_dag",
    "max_active_tis_per_dagrun", "task_concurrency", "ignore_first_depends_on_past",
})


def init_parameters(cls: type) -> Iterator[inspect.Parameter]:
    """The parameters of every `__init__` that `cls` and its bases define (decorators such
    as apply_defaults unwrapped), most derived first."""
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or klass is object:
            continue
        yield from inspect.signature(getattr(init, "__wrapped__", init)).parameters.values()


@functools.cache
def accepted_args(cls: type) -> frozenset[str]:
    """Every keyword the constructors of `cls` and its bases accept by name."""
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return frozenset(BASE_ARGS) | {p.name for p in init_parameters(cls) if p.kind in named}


def merged_default_args(dag: Any, group: Any, given: dict[str, Any] | None) -> dict[str, Any]:
    out = dict(getattr(dag, "default_args", None) or {})
    chain_groups = []
    while group is not None:
        chain_groups.append(group)
        group = group.parent_group
    for g in reversed(chain_groups):
        out.update(g.default_args or {})
    out.update(given or {})
    return out


def _apply_defaults(init: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(init)
    def wrapper(self: BaseOperator, *args: Any, **kwargs: Any) -> None:
        outer = not self.__dict__.get("_init_depth", 0)
        if outer:
            from .taskgroup import current_group

            dag = kwargs.get("dag") or current_dag()
            group = kwargs.get("task_group") or current_group(dag)
            defaults = merged_default_args(dag, group, kwargs.get("default_args"))
            names = accepted_args(type(self))
            filled = set()
            for key, value in defaults.items():
                if key in names and key not in kwargs and key not in ("dag", "task_group"):
                    kwargs[key] = value
                    filled.add(key)
            self.__dict__["_from_default_args"] = filled
            kwargs["default_args"] = defaults
        self.__dict__["_init_depth"] = self.__dict__.get("_init_depth", 0) + 1
        try:
            init(self, *args, **kwargs)
        finally:
            self.__dict__["_init_depth"] -= 1
        if outer:
            self._after_init()

    return wrapper


def _entry(execute: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(execute)
    def wrapper(self: BaseOperator, context: Any) -> Any:
        from ...authoring.context import Context as LegatoContext

        if isinstance(context, LegatoContext):
            from .execution import run_operator

            return run_operator(self, execute, context)
        return execute(self, context)

    return wrapper


def _rule(value: Any) -> str:
    value = str(getattr(value, "value", value))
    return LEGACY_RULES.get(value, value)


def _callback(fn: Any) -> Any:
    """Airflow callbacks (one or a list) called with the Airflow context of the try; as in
    Airflow, one that raises does not stop the others (the first error is re-raised after
    them, for the try to report)."""
    if fn is None:
        return None
    fns = list(fn) if isinstance(fn, list | tuple) else [fn]

    def call(ctx: Any) -> None:
        from .execution import callback_context

        context = callback_context(ctx)
        first: Exception | None = None
        for f in fns:
            try:
                f(context)
            except Exception as exc:  # noqa: BLE001 - reported once the others have run
                first = first or exc
        if first is not None:
            raise first

    call.__name__ = getattr(fns[0], "__name__", type(fns[0]).__name__)
    return call


class BaseOperator(DependencyMixin, Task):
    """Subclass and implement `execute(self, context)`; list `template_fields`."""

    template_fields: ClassVar[Any] = ()
    template_ext: ClassVar[Any] = ()
    template_fields_renderers: ClassVar[dict[str, str]] = {}
    ui_color: ClassVar[str] = "#fff"
    ui_fgcolor: ClassVar[str] = "#000"
    shallow_copy_attrs: ClassVar[tuple[str, ...]] = ()
    is_setup = False
    is_teardown = False
    on_failure_fail_dagrun = False
    airflow_operator: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            cls.__init__ = _apply_defaults(cls.__dict__["__init__"])  # type: ignore[method-assign]
        if "execute" in cls.__dict__:
            cls.execute = _entry(cls.__dict__["execute"])  # type: ignore[method-assign]
        if isinstance(cls.__dict__.get("template_fields"), str):
            cls.template_fields = (cls.__dict__["template_fields"],)
        if isinstance(cls.__dict__.get("template_ext"), str):
            cls.template_ext = (cls.__dict__["template_ext"],)

    def __init__(self, task_id: str | None = None, *, owner: str = "airflow",
                 retries: int | None = 0, retry_delay: Any = timedelta(seconds=300),
                 retry_exponential_backoff: Any = False, max_retry_delay: Any = None,
                 dag: Any = None, params: dict[str, Any] | None = None,
                 default_args: dict[str, Any] | None = None, execution_timeout: Any = None,
                 on_execute_callback: Any = None, on_failure_callback: Any = None,
                 on_success_callback: Any = None, on_retry_callback: Any = None,
                 on_skipped_callback: Any = None, pre_execute: Any = None,
                 post_execute: Any = None, trigger_rule: Any = "all_success",
                 do_xcom_push: bool = True, multiple_outputs: bool = False,
                 inlets: Any = None, outlets: Any = None, task_group: Any = None,
                 doc: str | None = None, doc_md: str | None = None,
                 task_display_name: str | None = None, _legato_dedupe: bool = False,
                 **kwargs: Any) -> None:
        from .taskgroup import current_group

        extra = {k: v for k, v in kwargs.items() if k not in BASE_ARGS}
        if extra:
            raise AirflowException(
                f"Invalid arguments were passed to {type(self).__name__} (task_id: {task_id}). "
                f"Invalid arguments were:\n**kwargs: {extra}")
        if task_id is None:
            raise TypeError(f"{type(self).__name__} needs a task_id")
        dag = dag or current_dag()
        group = task_group or current_group(dag)
        self.task_group = group
        self.params = dict(params or {})
        self.default_args = dict(default_args or {})
        self.do_xcom_push = do_xcom_push
        self.multiple_outputs = multiple_outputs
        self.on_execute_callback, self.on_skipped_callback = on_execute_callback, on_skipped_callback
        self._pre_execute_hook, self._post_execute_hook = pre_execute, post_execute
        self.doc_md = doc_md
        self.task_display_name = task_display_name or task_id
        self.airflow_kwargs = {k: v for k, v in kwargs.items() if k in NO_EFFECT}
        self.expand_args: dict[str, Any] = {}
        task_id = str(getattr(task_id, "value", task_id))
        self.airflow_inlets, self.airflow_outlets = _as_list(inlets), _as_list(outlets)
        full_id = group.child_id(task_id) if group is not None else task_id
        super().__init__(
            full_id, dag=dag, trigger_rule=_rule(trigger_rule),
            retries=int(retries or 0), retry_delay=retry_delay,
            retry_exponential_backoff=bool(retry_exponential_backoff),
            max_retry_delay=max_retry_delay, execution_timeout=execution_timeout,
            owner=owner, on_failure_callback=_callback(on_failure_callback),
            on_retry_callback=_callback(on_retry_callback),
            on_success_callback=_callback(on_success_callback),
            inlets=_datasets(inlets), outlets=_datasets(outlets), doc=doc or doc_md,
            _dedupe=_legato_dedupe)
        if group is not None:
            group.add(self)

    # -- after the outermost __init__ ---------------------------------------------------
    def _after_init(self) -> None:
        from .templates import resolve_template_files

        resolve_template_files(self)
        for ref in _refs_in([getattr(self, f, None) for f in self.template_fields]):
            for op in getattr(ref, "operators", ()):
                if op.task_id != self.task_id:
                    self.set_upstream(op)
        for key, value in self.airflow_kwargs.items():
            if value and key not in self.__dict__.get("_from_default_args", ()):
                from .registry import note

                note(self.dag.dag_id, f"{key}={value!r} has no effect on Legato (task "
                                      f"{self.task_id!r}); see docs/guides/airflow.md")

    # -- Airflow API ---------------------------------------------------------------------
    @property
    def output(self) -> Any:  # type: ignore[override]
        from .xcom_arg import XComArg

        return XComArg(self)

    @property
    def upstream_list(self) -> list[Any]:
        return [self.dag.tasks[t] for t in self.upstream_task_ids]

    @property
    def downstream_list(self) -> list[Any]:
        return [self.dag.tasks[t] for t in self.downstream_task_ids]

    @property
    def dag_id(self) -> str:
        return self.dag.dag_id

    @property
    def log(self) -> Any:
        from ...engine.tasklog import task_logger

        return task_logger

    def get_direct_relative_ids(self, upstream: bool = False) -> set[str]:
        return set(self.upstream_task_ids if upstream else self.downstream_task_ids)

    def get_flat_relative_ids(self, upstream: bool = False) -> set[str]:
        seen: set[str] = set()
        todo = list(self.get_direct_relative_ids(upstream))
        while todo:
            t = todo.pop()
            if t not in seen:
                seen.add(t)
                nxt = self.dag.tasks[t]
                todo.extend(nxt.upstream_task_ids if upstream else nxt.downstream_task_ids)
        return seen

    def get_flat_relatives(self, upstream: bool = False) -> list[Any]:
        return [self.dag.tasks[t] for t in self.get_flat_relative_ids(upstream)]

    def pre_execute(self, context: Any) -> None:
        if self._pre_execute_hook is not None:
            self._pre_execute_hook(context)

    def post_execute(self, context: Any, result: Any = None) -> None:
        if self._post_execute_hook is not None:
            self._post_execute_hook(context, result)

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        from .templates import render_fields

        render_fields(self, context)

    def render_template(self, content: Any, context: Any, jinja_env: Any = None,
                        seen_oids: Any = None) -> Any:
        from .templates import render_value

        return render_value(self, content, context)

    def template_context(self, ctx: Any) -> dict[str, Any]:
        """The names Legato's templating gives this task's templates (Airflow's context)."""
        from .templates import template_namespace

        return template_namespace(self, ctx)

    def xcom_push(self, context: Any, key: str, value: Any, **_: Any) -> None:
        """Airflow 2's operator method (Airflow 3: `context["ti"].xcom_push`)."""
        context["ti"].xcom_push(key=key, value=value)

    def xcom_pull(self, context: Any, task_ids: Any = None, key: str = "return_value",
                  **kwargs: Any) -> Any:
        return context["ti"].xcom_pull(task_ids=task_ids, key=key, **kwargs)

    def on_kill(self) -> None:
        return None

    def dry_run(self) -> None:
        return None

    def as_setup(self) -> BaseOperator:
        self.is_setup = True
        self.dag._spec = None
        return self

    def as_teardown(self, *, setups: Any = None,
                    on_failure_fail_dagrun: bool | None = None) -> BaseOperator:
        self.is_teardown = True
        self.trigger_rule = "all_done_setup_success"
        if on_failure_fail_dagrun is not None:
            self.on_failure_fail_dagrun = on_failure_fail_dagrun
        if setups is not None:
            for s in _tasks_of(setups, downstream=False):
                s.as_setup()
                self.set_upstream(s)
        self.dag._spec = None
        return self

    def __enter__(self) -> BaseOperator:
        if not (self.is_setup or self.is_teardown):
            raise AirflowException("Only setup/teardown tasks can be used as context managers.")
        from .taskgroup import push_setup_scope

        push_setup_scope(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        from .taskgroup import pop_setup_scope

        pop_setup_scope(self)

    # -- mapping --------------------------------------------------------------------------
    @classmethod
    def partial(cls, **kwargs: Any) -> Any:
        from .mapping import PartialOperator

        return PartialOperator(cls, kwargs)

    def map_sources(self) -> dict[str, Any]:
        """What the planner expands over: a source whose length is known at definition (a
        literal list, or the output of a task mapped over literal lists) as a list of that
        length; the element itself is always resolved at run time (mapping.element_kwargs)."""
        from .mapping import known_length

        out: dict[str, Any] = {}
        for name, source in self.expand_args.items():
            n = known_length(source)
            out[name] = source if n is None else [None] * n
        return out

    # -- dependencies ---------------------------------------------------------------------
    def set_downstream(self, other: Any) -> None:  # type: ignore[override]
        for down in _tasks_of(other, downstream=True):
            self.dag.set_dependency(self.task_id, down.task_id)

    def set_upstream(self, other: Any) -> None:  # type: ignore[override]
        for up in _tasks_of(other, downstream=False):
            self.dag.set_dependency(up.task_id, self.task_id)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple | set) else [value]


def _datasets(value: Any) -> list[Any]:
    """The Legato Datasets among Airflow inlets/outlets (aliases and task refs are not)."""
    from ...authoring.dataset import Dataset

    return [v for v in _as_list(value) if isinstance(v, Dataset)]


def _refs_in(value: Any) -> list[Any]:
    from .xcom_arg import XComArg

    found: list[Any] = []
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, XComArg):
            found.append(v)
        elif isinstance(v, list | tuple | set):
            stack.extend(v)
        elif isinstance(v, dict):
            stack.extend(v.values())
    return found


def _tasks_of(other: Any, *, downstream: bool) -> list[Task]:
    """Tasks behind a dependency operand: tasks, XComArgs, task groups, lists of them."""
    from .taskgroup import TaskGroup
    from .xcom_arg import XComArg

    out: list[Task] = []
    stack = [other]
    while stack:
        item = stack.pop(0)
        if isinstance(item, list | tuple | set):
            stack[:0] = list(item)
        elif isinstance(item, XComArg):
            out.extend(item.operators)
        elif isinstance(item, TaskGroup):
            out.extend(item.get_roots() if downstream else item.get_leaves())
        elif isinstance(item, Task):
            out.append(item)
        else:
            raise AirflowException(f"Relationships can only be set between operators; "
                                   f"received {type(item).__name__}")
    return out


def chain(*elements: Any) -> None:
    """Airflow's chain: neighbours are linked; two adjacent lists are linked pairwise."""
    for left, right in itertools.pairwise(elements):
        if isinstance(left, list | tuple) and isinstance(right, list | tuple):
            if len(left) != len(right):
                raise AirflowException(f"Chain not supported for different length Iterable. "
                                       f"Got {len(left)} and {len(right)}.")
            for a, b in zip(left, right, strict=True):
                a >> b
        elif isinstance(left, list | tuple):
            for a in left:
                a >> right
        else:
            left >> right


def chain_linear(*elements: Any) -> None:
    """Every element of each group upstream of every element of the next."""
    for left, right in itertools.pairwise(elements):
        for a in (left if isinstance(left, list | tuple) else [left]):
            a >> right


def cross_downstream(from_tasks: Iterable[Any], to_tasks: Any) -> None:
    for t in from_tasks:
        t >> list(to_tasks) if isinstance(to_tasks, list | tuple) else t >> to_tasks


AbstractOperator = BaseOperator


class SkipMixin:
    pass


class BranchMixIn(SkipMixin):
    pass


def apply_defaults(func: Any) -> Any:
    """Airflow 1's decorator: default_args are applied to every operator anyway."""
    return func


def MappedOperator(*args: Any, **kwargs: Any) -> Any:  # Airflow's name
    raise TypeError("create mapped operators with Operator.partial(...).expand(...)")


BaseOperator.__init__ = _apply_defaults(BaseOperator.__init__)  # type: ignore[method-assign]
