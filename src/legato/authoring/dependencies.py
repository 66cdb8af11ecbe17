"""`a >> b`, `a << b` and `[a, b] >> c`: the bit-shift spelling of `set_downstream` and
`set_upstream`, written once for everything that can stand on either side of an edge.

Legato's `Task` and the Airflow layer's operators, task groups and XComArgs each say what
an edge to them means (`set_upstream` / `set_downstream`); the operators here only say which
side is which. As in Airflow, `a >> b` returns `b` so that chains read left to right, and a
list on the left (`[a, b] >> c`, which a list cannot do) reaches `c.__rrshift__`.
"""

from __future__ import annotations

from typing import Any, Self


class DependencyMixin:
    """The four shift operators, in terms of `set_upstream` and `set_downstream`."""

    def set_upstream(self, other: Any) -> None:
        raise NotImplementedError

    def set_downstream(self, other: Any) -> None:
        raise NotImplementedError

    def __rshift__(self, other: Any) -> Any:
        self.set_downstream(other)
        return other

    def __lshift__(self, other: Any) -> Any:
        self.set_upstream(other)
        return other

    def __rrshift__(self, other: Any) -> Self:
        self.set_upstream(other)
        return self

    def __rlshift__(self, other: Any) -> Self:
        self.set_downstream(other)
        return self
