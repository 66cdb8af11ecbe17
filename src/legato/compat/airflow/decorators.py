"""TaskFlow: `@task` (and .python/.branch/.short_circuit/.bash/.sensor/.virtualenv),
`@setup`, `@teardown`. Calling a decorated function inside a DAG creates the operator and
returns an XComArg of its result; `.override`, `.partial`, `.expand`, `.expand_kwargs` as in
Airflow. A return annotation of `dict` turns on `multiple_outputs`, as in Airflow.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable
from typing import Any

from .exceptions import AirflowException
from .mapping import KWARGS, check_expand
from .operators import (
    BranchPythonOperator,
    BranchPythonVirtualenvOperator,
    PythonOperator,
    PythonVirtualenvOperator,
    ShortCircuitOperator,
    run_bash,
)
from .sensors import BaseSensorOperator, PokeReturnValue, call_poke
from .xcom_arg import XComArg


class _PythonDecoratedOperator(PythonOperator):
    maps_into_op_kwargs = True


class _VirtualenvDecoratedOperator(PythonVirtualenvOperator):
    maps_into_op_kwargs = True


class _BranchVirtualenvDecoratedOperator(BranchPythonVirtualenvOperator):
    maps_into_op_kwargs = True


class _BranchDecoratedOperator(BranchPythonOperator):
    maps_into_op_kwargs = True


class _ShortCircuitDecoratedOperator(ShortCircuitOperator):
    maps_into_op_kwargs = True


class _BashDecoratedOperator(_PythonDecoratedOperator):
    """The function returns the command; it runs like BashOperator's."""

    def __init__(self, *, env: dict[str, str] | None = None, append_env: bool = False,
                 output_encoding: str = "utf-8", skip_on_exit_code: Any = 99,
                 cwd: str | None = None, output_processor: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.env, self.append_env, self.cwd = env, append_env, cwd
        self.output_encoding = output_encoding
        self.output_processor = output_processor or (lambda result: result)
        code = skip_on_exit_code
        self.skip_on_exit_code = [code] if isinstance(code, int) else list(code or [])

    def execute(self, context: Any) -> Any:
        from .templates import render_value

        command = render_value(self, super().execute(context), context)
        return run_bash(self, command, context)


class _SensorDecoratedOperator(BaseSensorOperator):
    maps_into_op_kwargs = True
    template_fields = ("op_args", "op_kwargs")

    def __init__(self, *, python_callable: Callable[..., Any], op_args: Any = None,
                 op_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.python_callable = python_callable
        self.op_args, self.op_kwargs = list(op_args or []), dict(op_kwargs or {})

    def poke(self, context: Any) -> bool | PokeReturnValue:
        return call_poke(self, context)


def _infers_multiple_outputs(fn: Callable[..., Any]) -> bool:
    try:
        ret = typing.get_type_hints(fn).get("return")
    except Exception:  # noqa: BLE001 - unresolvable annotations: no inference, as Airflow
        return False
    origin = typing.get_origin(ret) or ret
    return origin is dict or (isinstance(ret, type) and issubclass(ret, dict)) or \
        typing.is_typeddict(ret)


class _TaskDecorator:
    """A decorated function: call it to make a task; returns an XComArg."""

    def __init__(self, fn: Callable[..., Any], cls: type, options: dict[str, Any],
                 fixed: dict[str, Any] | None = None) -> None:
        self.function, self.cls, self.options, self.fixed = fn, cls, options, fixed or {}
        functools.update_wrapper(self, fn)

    def _options(self) -> dict[str, Any]:
        options = dict(self.options)
        options.setdefault("task_id", self.function.__name__)
        options["_legato_dedupe"] = True          # Airflow suffixes repeated ids: name__1
        if "multiple_outputs" not in options and self.cls is _PythonDecoratedOperator:
            options["multiple_outputs"] = _infers_multiple_outputs(self.function)
        setup, teardown = options.pop("_is_setup", False), options.pop("_is_teardown", False)
        fail_dagrun = options.pop("_fail_dagrun", None)
        options["_roles"] = (setup, teardown, fail_dagrun)
        return options

    def _make(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        options = self._options()
        setup, teardown, fail_dagrun = options.pop("_roles")
        op = self.cls(python_callable=self.function, op_args=list(args),
                      op_kwargs={**self.fixed, **kwargs}, **options)
        if setup:
            op.as_setup()
        if teardown:
            op.as_teardown(on_failure_fail_dagrun=fail_dagrun)
        return op

    def __call__(self, *args: Any, **kwargs: Any) -> XComArg:
        return XComArg(self._make(args, kwargs))

    def override(self, **options: Any) -> _TaskDecorator:
        return _TaskDecorator(self.function, self.cls, {**self.options, **options}, self.fixed)

    def partial(self, **fixed: Any) -> _TaskDecorator:
        return _TaskDecorator(self.function, self.cls, self.options, {**self.fixed, **fixed})

    def _mapped(self, mapped: dict[str, Any]) -> XComArg:
        op = self._make((), {})
        op.expand_args = {k: (list(v.items()) if isinstance(v, dict) else v)
                          for k, v in mapped.items()}
        for source in op.expand_args.values():
            if isinstance(source, XComArg):
                op.set_upstream(source.operators)
        op.dag._spec = None
        return XComArg(op)

    def expand(self, **mapped: Any) -> XComArg:
        return self._mapped(check_expand(mapped))

    def expand_kwargs(self, source: Any) -> XComArg:
        return self._mapped({KWARGS: source})


def _decorator(cls: type, fn: Any = None, **options: Any) -> Any:
    if fn is not None and callable(fn):
        return _TaskDecorator(fn, cls, options)
    return lambda f: _TaskDecorator(f, cls, options)


def _unsupported(kind: str) -> Callable[..., Any]:
    def decorator(fn: Any = None, **_: Any) -> Any:
        raise AirflowException(f"@task.{kind} does not run on Legato: use @task with a "
                               "legato.tasks.ShellTask or the Dask executor")

    return decorator


def _kind(cls: type) -> Callable[..., Any]:
    """The `task.<kind>` method: the decorator that makes `cls` operators of functions."""

    def decorate(self: _Task, python_callable: Any = None, **options: Any) -> Any:
        return _decorator(cls, python_callable, **options)

    return decorate


class _Task:
    """`airflow.sdk.task`: `@task` and each `@task.<kind>`, by the operator class it makes."""

    __call__ = python = pyspark = _kind(_PythonDecoratedOperator)
    virtualenv = external_python = _kind(_VirtualenvDecoratedOperator)
    branch = _kind(_BranchDecoratedOperator)
    branch_virtualenv = branch_external_python = _kind(_BranchVirtualenvDecoratedOperator)
    short_circuit = _kind(_ShortCircuitDecoratedOperator)
    bash = _kind(_BashDecoratedOperator)
    sensor = _kind(_SensorDecoratedOperator)
    docker = staticmethod(_unsupported("docker"))
    kubernetes = staticmethod(_unsupported("kubernetes"))


task = _Task()


def _role(fn: Any, options: dict[str, Any]) -> Any:
    if isinstance(fn, _TaskDecorator):
        return fn.override(**options)
    return _TaskDecorator(fn, _PythonDecoratedOperator, options)


def setup(python_callable: Any = None) -> Any:
    """`@setup` over a function (or a @task): its task is a setup task."""
    if python_callable is None:
        return lambda f: _role(f, {"_is_setup": True})
    return _role(python_callable, {"_is_setup": True})


def teardown(python_callable: Any = None, *, on_failure_fail_dagrun: bool = False) -> Any:
    """`@teardown` / `@teardown(on_failure_fail_dagrun=True)`."""
    options = {"_is_teardown": True, "_fail_dagrun": on_failure_fail_dagrun}
    if python_callable is None:
        return lambda f: _role(f, options)
    return _role(python_callable, options)
