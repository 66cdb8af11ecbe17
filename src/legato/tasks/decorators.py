"""`@task` and `@task.branch`: plain functions become tasks when called inside a DAG.

`@task def load(data): ...` gives a factory; `load(extract())` inside a `with DAG` block
creates a PythonTask whose argument is the result of `extract`. `.expand(item=...)` maps the
function over a list (literal or an upstream result) at run time; `.partial(...)` fixes the
other arguments first; `.override(task_id=...)` changes task options for one call.

It lives beside PythonTask, which it makes: authoring defines what a task is and never
imports a kind of task (DESIGN.md layering; authoring -> tasks was a package cycle).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ..authoring.context import CONTEXT_KEYS
from ..authoring.errors import DagDefinitionError
from .python import BranchTask, PythonTask, call_plan


class TaskFactory:
    """What `@task` returns: call it (inside a DAG) to make a task."""

    def __init__(self, fn: Callable[..., Any], options: dict[str, Any],
                 cls: type[PythonTask] = PythonTask, fixed: dict[str, Any] | None = None) -> None:
        self.fn = fn
        self.options = options
        self.cls = cls
        self.fixed = fixed or {}
        functools.update_wrapper(self, fn)

    def _make(self, args: tuple[Any, ...], kwargs: dict[str, Any],
              expand: dict[str, Any] | None = None) -> PythonTask:
        _check_context_binding(self.fn, args, {**self.fixed, **kwargs, **(expand or {})})
        options = dict(self.options)
        task_id = options.pop("task_id", None)
        return self.cls(
            task_id or self.fn.__name__, self.fn, op_args=args,
            op_kwargs={**self.fixed, **kwargs}, expand=expand,
            _dedupe=task_id is None, **options,
        )

    def __call__(self, *args: Any, **kwargs: Any) -> PythonTask:
        return self._make(args, kwargs)

    def override(self, **options: Any) -> TaskFactory:
        return self._derived({**self.options, **options}, self.fixed)

    def partial(self, **fixed: Any) -> TaskFactory:
        return self._derived(self.options, {**self.fixed, **fixed})

    def _derived(self, options: dict[str, Any], fixed: dict[str, Any]) -> TaskFactory:
        """A copy with other options: the wrapper attributes are copied, not computed again
        (`.override(task_id=...)` once per task of a generated DAG)."""
        derived = object.__new__(TaskFactory)
        derived.__dict__.update(self.__dict__)
        derived.options, derived.fixed = options, fixed
        return derived

    def expand(self, **mapped: Any) -> PythonTask:
        """One task instance per element (per combination, for several arguments)."""
        if not mapped:
            raise TypeError("expand() needs at least one keyword argument to map over")
        return self._make((), {}, expand=mapped)


def _check_context_binding(fn: Callable[..., Any], args: tuple[Any, ...],
                           kwargs: dict[str, Any]) -> None:
    """Refuse, at definition, a call that hands a value to a parameter the run context fills
    (`ctx`, or a context key such as `ds`): `leaf(r)` for `def leaf(ctx, up)` would otherwise
    pass r's result as ctx and fail at run time, after every retry."""
    if not args and not kwargs:        # nothing handed over (most no-argument tasks)
        return
    try:
        bound = call_plan(fn).signature.bind_partial(*args, **kwargs).arguments
    except TypeError as exc:
        raise DagDefinitionError(f"task {fn.__name__!r}: {exc}") from None
    for name in bound:
        if name == "ctx" or name in CONTEXT_KEYS:
            raise DagDefinitionError(
                f"task {fn.__name__!r}: an argument is bound to parameter {name!r}, which "
                f"receives the run context; declare {name!r} after the data parameters "
                f"(or make it keyword-only) and pass upstream results to the others")


class _TaskDecorator:
    """`task`, `task(**options)`, and `task.branch`."""

    def __call__(self, fn: Callable[..., Any] | None = None, **options: Any) -> Any:
        if fn is None:
            return lambda f: TaskFactory(f, options)
        return TaskFactory(fn, options)

    def branch(self, fn: Callable[..., Any] | None = None, **options: Any) -> Any:
        if fn is None:
            return lambda f: TaskFactory(f, options, BranchTask)
        return TaskFactory(fn, options, BranchTask)


task = _TaskDecorator()
