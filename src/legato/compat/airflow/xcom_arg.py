"""`XComArg`: what a TaskFlow call returns — a reference to a task's result that is also a
dependency handle (`a() >> b()`), indexable by key (`out["rows"]`) and mappable (`.map`,
`.zip`). It IS a `legato` ResultRef, so Legato's own tasks and mapping understand it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...authoring.task import ResultRef
from .models import DependencyMixin


class XComArg(DependencyMixin, ResultRef):
    """A task's pushed value under `key` (default: its return value)."""

    def __init__(self, operator: Any, key: str = "return_value") -> None:
        super().__init__(operator.task_id, key)
        self.operator = operator

    # -- Airflow's API ----------------------------------------------------------------
    def __getitem__(self, key: str) -> XComArg:
        return XComArg(self.operator, key)

    def __iter__(self) -> Any:
        raise TypeError("'XComArg' object is not iterable: map over it with .expand() instead")

    def map(self, fn: Callable[[Any], Any]) -> MapXComArg:
        return MapXComArg(self, fn)

    def zip(self, *others: XComArg, fillvalue: Any = None) -> ZipXComArg:
        return ZipXComArg([self, *others], fillvalue)

    @property
    def operators(self) -> list[Any]:
        return [self.operator]

    def iter_references(self) -> Any:
        yield self.operator, self.key

    def as_setup(self) -> XComArg:
        self.operator.as_setup()
        return self

    def as_teardown(self, *, setups: Any = None, on_failure_fail_dagrun: bool | None = None) -> XComArg:
        self.operator.as_teardown(setups=setups, on_failure_fail_dagrun=on_failure_fail_dagrun)
        return self

    def resolve(self, context: Any) -> Any:
        ti = context["ti"]
        return ti.xcom_pull(task_ids=self.task_id, key=self.key)

    def values(self, pulled: Any) -> Any:
        """The value(s) this reference stands for, from what was pulled for task_id/key."""
        return pulled

    def __enter__(self) -> XComArg:
        self.operator.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.operator.__exit__(*exc)

    # -- dependencies -------------------------------------------------------------------
    def set_upstream(self, other: Any) -> None:
        for op in self.operators:
            op.set_upstream(other)

    def set_downstream(self, other: Any) -> None:
        for op in self.operators:
            op.set_downstream(other)

    def __repr__(self) -> str:
        return f"XComArg({self.task_id!r}, key={self.key!r})"


class MapXComArg(XComArg):
    """`arg.map(fn)`: each element transformed by fn (once per mapped instance)."""

    def __init__(self, arg: XComArg, fn: Callable[[Any], Any]) -> None:
        super().__init__(arg.operator, arg.key)
        self.arg = arg
        self.callables = [*getattr(arg, "callables", []), fn] if isinstance(arg, MapXComArg) else [fn]
        if isinstance(arg, MapXComArg):
            self.arg = arg.arg

    def map(self, fn: Callable[[Any], Any]) -> MapXComArg:
        return MapXComArg(self, fn)

    def apply(self, value: Any) -> Any:
        for fn in self.callables:
            value = fn(value)
        return value

    def values(self, pulled: Any) -> Any:
        return [self.apply(v) for v in self.arg.values(pulled)]


class ZipXComArg(XComArg):
    """`a.zip(b, c)`: tuples of the i-th elements (the shortest list sets the length)."""

    def __init__(self, args: list[XComArg], fillvalue: Any = None) -> None:
        super().__init__(args[0].operator, args[0].key)
        self.args, self.fillvalue = args, fillvalue

    @property
    def operators(self) -> list[Any]:
        return [op for a in self.args for op in a.operators]


class DagParam:
    """A `@dag` function's parameter inside its body: the run's value of that param."""

    def __init__(self, name: str, default: Any) -> None:
        self.name, self.default = name, default

    def resolve(self, context: Any) -> Any:
        return context["params"].get(self.name, self.default)
