"""`@asset` (Airflow 3): a function that materializes one asset becomes a DAG of one task.

`@asset(schedule="@daily") def orders(): ...` creates DAG "orders" with task "orders" whose
outlet is Asset("orders"); the decorator returns that Asset, so other assets or DAGs can be
scheduled on it. Parameters named after other assets receive those Asset objects; `self` is
the asset itself and `context` the task's Airflow context.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from .assets import Asset


class _AssetDecorator:
    def __call__(self, fn: Callable[..., Any] | None = None, *, schedule: Any, name: str | None = None,
                 uri: str | None = None, group: str = "asset", extra: dict[str, Any] | None = None,
                 **dag_kwargs: Any) -> Any:
        def wrap(f: Callable[..., Any]) -> Asset:
            return _materialize(f, schedule, name or f.__name__, uri, group, extra, dag_kwargs)

        return wrap(fn) if fn is not None else wrap

    def multi(self, *, schedule: Any, outlets: list[Any], **dag_kwargs: Any) -> Any:
        def wrap(f: Callable[..., Any]) -> list[Any]:
            _build_dag(f, schedule, f.__name__, list(outlets), dag_kwargs)
            return list(outlets)

        return wrap


def _materialize(fn: Callable[..., Any], schedule: Any, name: str, uri: str | None,
                 group: str, extra: dict[str, Any] | None, dag_kwargs: dict[str, Any]) -> Asset:
    me = Asset(name=name, uri=uri or name, group=group, extra=extra)
    _build_dag(fn, schedule, name, [me], dag_kwargs)
    return me


def _build_dag(fn: Callable[..., Any], schedule: Any, name: str, outlets: list[Any],
               dag_kwargs: dict[str, Any]) -> Any:
    from .dag import DAG
    from .decorators import task

    params = list(inspect.signature(fn).parameters)
    inlets = [Asset(name=p, uri=p) for p in params if p not in ("self", "context")]

    def materialize(**context: Any) -> Any:
        given = {p: Asset(name=p, uri=p) for p in params if p not in ("self", "context")}
        if "self" in params:
            given["self"] = outlets[0]
        if "context" in params:
            given["context"] = context
        return fn(**given)

    materialize.__name__ = name
    dag = DAG(name, schedule=schedule, **dag_kwargs)
    with dag:
        task(task_id=name, outlets=outlets, inlets=inlets)(materialize)()
    return dag


asset = _AssetDecorator()
