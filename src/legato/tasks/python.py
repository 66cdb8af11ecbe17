"""`PythonTask` and `BranchTask`: call a Python function with upstream results and context.

Arguments may hold upstream tasks (or `task.output`); each becomes an edge at definition
time and is replaced by that task's result at run time. The function receives the context
by asking for it: a parameter named `ctx` gets the Context, a parameter named like a context
key (`ds`, `params`, `ti`, ...) gets that value, and `**kwargs` gets every key, as in Airflow.
"""

from __future__ import annotations

import functools
import inspect
import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..authoring.context import CONTEXT_KEYS, Context
from ..authoring.errors import DagDefinitionError
from ..authoring.nested import map_leaves
from ..authoring.task import ResultRef, Task


def _to_refs(value: Any) -> Any:
    """Replace Task objects inside arguments by references to their results."""
    return map_leaves(value, lambda v: v.output if isinstance(v, Task) else v)


def _refs_in(value: Any, found: list[ResultRef]) -> list[ResultRef]:
    if isinstance(value, ResultRef):
        found.append(value)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _refs_in(v, found)
    elif isinstance(value, dict):
        for v in value.values():
            _refs_in(v, found)
    return found


def resolve(value: Any, ctx: Context) -> Any:
    """Replace references by the upstream results they point to."""
    return map_leaves(value, lambda v: ctx.xcom_pull(v.task_id, key=v.key)
                      if isinstance(v, ResultRef) else v)


class _CallPlan:
    """How to call a function: which context names it wants, computed once per task."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.signature = inspect.signature(fn)
        params = self.signature.parameters
        self.takes_nothing = not params
        self.var_kw = any(p.kind is p.VAR_KEYWORD for p in params.values())
        self.context_names = tuple(
            n for n, p in params.items()
            if (n == "ctx" or n in CONTEXT_KEYS)
            and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        )

    def call(self, fn: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any],
             ctx: Context) -> Any:
        if self.takes_nothing and not args and not kwargs:
            return fn()
        if self.context_names or self.var_kw:
            bound = self.signature.bind_partial(*args, **kwargs).arguments
            for name in self.context_names:
                if name not in bound:
                    kwargs[name] = ctx if name == "ctx" else ctx[name]
            if self.var_kw:
                for name in CONTEXT_KEYS:
                    if name not in bound and name not in kwargs:
                        kwargs[name] = ctx[name]
        return fn(*args, **kwargs)


def call_plan(fn: Callable[..., Any]) -> _CallPlan:
    """The call plan of `fn`, computed once per function: a DAG of 10,000 tasks made from one
    decorated function inspects its signature once, not 10,000 times."""
    try:
        return _cached_plan(fn)
    except TypeError:                       # an unhashable callable object
        return _CallPlan(fn)


@functools.lru_cache(maxsize=4096)
def _cached_plan(fn: Callable[..., Any]) -> _CallPlan:
    return _CallPlan(fn)


class PythonTask(Task):
    """Run `python_callable(*op_args, **op_kwargs)`; its return value is the task's result."""

    template_fields = ("op_args", "op_kwargs", "templates_dict")

    def __init__(
        self,
        task_id: str,
        python_callable: Callable[..., Any],
        op_args: Sequence[Any] = (),
        op_kwargs: Mapping[str, Any] | None = None,
        templates_dict: Mapping[str, Any] | None = None,
        expand: Mapping[str, Any] | None = None,
        **task_kwargs: Any,
    ) -> None:
        if not callable(python_callable):
            raise DagDefinitionError(f"task {task_id!r}: python_callable must be callable")
        self.python_callable = python_callable
        self.op_args = _to_refs(list(op_args)) if op_args else []
        self.op_kwargs = _to_refs(dict(op_kwargs)) if op_kwargs else {}
        self.templates_dict = dict(templates_dict) if templates_dict else None
        self.expand_args: dict[str, Any] = _to_refs(dict(expand)) if expand else {}
        self._plan = call_plan(python_callable)
        super().__init__(task_id, **task_kwargs)
        for ref in self.result_refs():
            if ref.task_id not in self.dag.tasks:
                raise DagDefinitionError(
                    f"task {self.task_id!r} uses the result of {ref.task_id!r}, "
                    f"which is not in DAG {self.dag.dag_id!r}"
                )
            self.dag.set_dependency(ref.task_id, self.task_id)
        for name, source in self.expand_args.items():
            if not isinstance(source, (ResultRef, list, tuple)):
                raise DagDefinitionError(
                    f"task {self.task_id!r}: expand({name}=...) needs a list or an upstream task"
                )

    def result_refs(self) -> list[ResultRef]:
        found: list[ResultRef] = []
        for value in (self.op_args, self.op_kwargs, self.expand_args):
            if value:
                _refs_in(value, found)
        return found

    def map_sources(self) -> dict[str, Any]:
        return self.expand_args

    def mapped_kwargs(self, ctx: Context) -> dict[str, Any]:
        """The element(s) of the expanded arguments that this map index receives."""
        lists = [list(resolve(src, ctx)) for src in self.expand_args.values()]
        combo = next(itertools.islice(itertools.product(*lists), ctx.map_index, None))
        return dict(zip(self.expand_args, combo, strict=True))

    def execute(self, ctx: Context) -> Any:
        args = resolve(self.op_args, ctx)
        kwargs = resolve(self.op_kwargs, ctx)
        if self.expand_args:
            kwargs.update(self.mapped_kwargs(ctx))
        return self._plan.call(self.python_callable, args, kwargs, ctx)


class BranchTask(PythonTask):
    """The callable returns the task id (or ids) to follow; other direct downstream tasks skip."""

    is_branch = True
