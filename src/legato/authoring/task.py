"""`Task`: the unit of work in a DAG, and the knobs every task shares.

A task resolves its retry policy, timeout, owner and callbacks once, at definition time, from
(in order) its own arguments, the DAG's `default_args`, and Legato's defaults, so the engine
reads settled values. Dependencies are kept by the DAG; `>>`, `<<` and lists on either side
are sugar over `DAG.set_dependency`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from .dag import current_dag
from .dependencies import DependencyMixin
from .errors import DagDefinitionError
from .trigger_rules import TriggerRule

if TYPE_CHECKING:
    from .context import Context
    from .dag import DAG

TRIGGER_RULES: tuple[str, ...] = tuple(TriggerRule)
_KNOWN_RULES = frozenset(TRIGGER_RULES)

_DEFAULTS: dict[str, Any] = {
    "retries": 0,
    "retry_delay": timedelta(minutes=5),
    "retry_exponential_backoff": False,
    "max_retry_delay": None,
    "execution_timeout": None,
    "trigger_rule": TriggerRule.ALL_SUCCESS,
    "owner": "legato",
    "on_failure_callback": None,
    "on_retry_callback": None,
    "on_success_callback": None,
}
_UNSET: Any = object()


class ResultRef:
    """A reference to an upstream task's result (or one of its pushed keys)."""

    __slots__ = ("task_id", "key")

    def __init__(self, task_id: str, key: str = "return_value") -> None:
        self.task_id = task_id
        self.key = key

    def __repr__(self) -> str:
        return f"ResultRef({self.task_id!r}, key={self.key!r})"


def _as_timedelta(value: Any, what: str) -> timedelta | None:
    if value is None or isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)) and value >= 0:
        return timedelta(seconds=value)
    raise DagDefinitionError(f"{what} must be a timedelta or seconds, got {value!r}")


class Task(DependencyMixin):
    """Base of every task; subclasses implement `execute(ctx)` and list `template_fields`."""

    template_fields: ClassVar[tuple[str, ...]] = ()
    is_branch: ClassVar[bool] = False
    # Settled at definition, from the arguments, the DAG's default_args and _DEFAULTS:
    trigger_rule: str
    retries: int
    retry_delay: timedelta
    retry_exponential_backoff: bool
    max_retry_delay: timedelta | None
    execution_timeout: timedelta | None
    owner: str
    on_failure_callback: Callable[[Context], Any] | None
    on_retry_callback: Callable[[Context], Any] | None
    on_success_callback: Callable[[Context], Any] | None

    def __init__(
        self,
        task_id: str,
        *,
        dag: DAG | None = None,
        trigger_rule: str = _UNSET,
        retries: int = _UNSET,
        retry_delay: timedelta | float = _UNSET,
        retry_exponential_backoff: bool = _UNSET,
        max_retry_delay: timedelta | float | None = _UNSET,
        execution_timeout: timedelta | float | None = _UNSET,
        owner: str = _UNSET,
        on_failure_callback: Callable[[Context], Any] | None = _UNSET,
        on_retry_callback: Callable[[Context], Any] | None = _UNSET,
        on_success_callback: Callable[[Context], Any] | None = _UNSET,
        inlets: Iterable[Any] = (),
        outlets: Iterable[Any] = (),
        doc: str | None = None,
        _dedupe: bool = False,
    ) -> None:
        dag = dag or current_dag()
        if dag is None:
            raise DagDefinitionError(
                f"task {task_id!r} must be created inside `with DAG(...)` or be given dag="
            )
        self.dag = dag
        self.task_id = task_id
        given_or_default = dag.default_args.get

        def setting(value: Any, name: str) -> Any:
            return given_or_default(name, _DEFAULTS[name]) if value is _UNSET else value

        self.trigger_rule = setting(trigger_rule, "trigger_rule")
        if self.trigger_rule not in _KNOWN_RULES:
            raise DagDefinitionError(
                f"{self._where()}: unknown trigger_rule {self.trigger_rule!r}; "
                f"one of {', '.join(TRIGGER_RULES)}"
            )
        self.retries = setting(retries, "retries")
        if type(self.retries) is not int or self.retries < 0:
            raise DagDefinitionError(
                f"{self._where()}: retries must be an int >= 0, got {self.retries!r}")
        self.retry_delay = (self._duration(setting(retry_delay, "retry_delay"), "retry_delay")
                            or timedelta(0))
        self.retry_exponential_backoff = setting(retry_exponential_backoff,
                                                 "retry_exponential_backoff")
        self.max_retry_delay = self._duration(setting(max_retry_delay, "max_retry_delay"),
                                              "max_retry_delay")
        self.execution_timeout = self._duration(setting(execution_timeout, "execution_timeout"),
                                                "execution_timeout")
        self.owner = setting(owner, "owner")
        self.on_failure_callback = setting(on_failure_callback, "on_failure_callback")
        self.on_retry_callback = setting(on_retry_callback, "on_retry_callback")
        self.on_success_callback = setting(on_success_callback, "on_success_callback")
        self.inlets = tuple(inlets) if inlets else ()
        self.outlets = tuple(outlets) if outlets else ()
        self.doc = doc
        self.task_id = dag.add_task(self, task_id, dedupe=_dedupe)

    def _duration(self, value: Any, what: str) -> timedelta | None:
        if value is None or type(value) is timedelta:
            return value
        return _as_timedelta(value, f"{self._where()}: {what}")

    def _where(self) -> str:
        return f"task {self.task_id!r} in DAG {self.dag.dag_id!r}"

    # -- what subclasses provide ---------------------------------------------------------
    def execute(self, ctx: Context) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not implement execute()")

    def result_refs(self) -> list[ResultRef]:
        """Upstream results this task consumes (edges are made for each)."""
        return []

    def map_sources(self) -> dict[str, Any]:
        """For a mapped task, argument name -> literal list or ResultRef; else empty."""
        return {}

    # -- dependencies --------------------------------------------------------------------
    @property
    def upstream_task_ids(self) -> tuple[str, ...]:
        return self.dag.upstream_of(self.task_id)

    @property
    def downstream_task_ids(self) -> tuple[str, ...]:
        return self.dag.downstream_of(self.task_id)

    @property
    def output(self) -> ResultRef:
        """This task's return value, for passing to a classic task's arguments."""
        return ResultRef(self.task_id)

    def set_downstream(self, other: Task | Sequence[Task]) -> None:
        for down in _tasks_of(other):
            self.dag.set_dependency(self.task_id, down.task_id)

    def set_upstream(self, other: Task | Sequence[Task]) -> None:
        for up in _tasks_of(other):
            self.dag.set_dependency(up.task_id, self.task_id)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.task_id!r}>"


def _tasks_of(other: Any) -> list[Task]:
    items = other if isinstance(other, (list, tuple, set)) else [other]
    out = []
    for item in items:
        if not isinstance(item, Task):
            raise DagDefinitionError(f"dependencies link tasks, got {item!r}")
        out.append(item)
    return out


def chain(*items: Task | Sequence[Task]) -> None:
    """`chain(a, b, c)` is `a >> b >> c`; a list links every member to both neighbours."""
    for left, right in itertools.pairwise(items):
        for up in _tasks_of(left):
            up.set_downstream(right)


def cross_downstream(upstream: Sequence[Task], downstream: Sequence[Task]) -> None:
    """Every task in `upstream` before every task in `downstream` (a list >> list)."""
    for up in _tasks_of(upstream):
        up.set_downstream(list(downstream))
