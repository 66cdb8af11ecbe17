"""Dynamic task mapping: `Op.partial(...).expand(...)`, `.expand_kwargs(...)`, and the
arguments one mapped instance receives.

A mapped operator is one operator whose `expand_args` maps argument names to a literal list
or an XComArg (a Legato ResultRef, so the planner expands it into one instance per element
once the upstream result is known). At run time `apply_mapping` sets the instance's element
on a copy of the operator; the last argument varies fastest, as in Airflow.
"""

from __future__ import annotations

import itertools
from typing import Any

from .exceptions import AirflowException
from .xcom_arg import MapXComArg, XComArg, ZipXComArg

KWARGS = "__expand_kwargs__"
_PLACEHOLDER: Any = None


class PartialOperator:
    def __init__(self, cls: type, kwargs: dict[str, Any]) -> None:
        self.cls, self.kwargs = cls, kwargs

    def expand(self, **mapped: Any) -> Any:
        return make_mapped(self.cls, self.kwargs, check_expand(mapped))

    def expand_kwargs(self, source: Any) -> Any:
        return make_mapped(self.cls, self.kwargs, {KWARGS: source})


def check_expand(mapped: dict[str, Any]) -> dict[str, Any]:
    """`expand()`'s arguments, once each is something to map over (a list, a dict or an
    XComArg); TypeError when there are none, ValueError naming the first bad one."""
    if not mapped:
        raise TypeError("no arguments to expand against")
    for name, source in mapped.items():
        if not isinstance(source, XComArg | list | tuple | dict):
            raise ValueError(f"Cannot map over {type(source).__name__} for {name!r}: "
                             "expand() takes a list, a dict or an XComArg")
    return mapped


def make_mapped(cls: type, fixed: dict[str, Any], mapped: dict[str, Any]) -> Any:
    """Create the operator with placeholders for the mapped arguments, then record them."""
    args = dict(fixed)
    for name in mapped:
        if name != KWARGS:
            args.setdefault(name, _PLACEHOLDER)
    if KWARGS in mapped:                 # each element supplies arguments: none is missing yet
        for name in _required_keywords(cls):
            args.setdefault(name, _PLACEHOLDER)
    op = cls(**args)
    op.expand_args = {k: (list(v.items()) if isinstance(v, dict) else v) for k, v in mapped.items()}
    for source in op.expand_args.values():
        if isinstance(source, XComArg):
            for upstream in source.operators:
                op.set_upstream(upstream)
        elif isinstance(source, list | tuple):
            for item in source:
                for ref in _xcom_args(item):
                    op.set_upstream(ref.operators)
    op.dag._spec = None
    return op


def known_length(source: Any) -> int | None:
    """The number of elements of a map source when the DAG's definition fixes it."""
    if isinstance(source, list | tuple):
        return len(source)
    if isinstance(source, ZipXComArg):
        lengths = [known_length(a) for a in source.args]
        return None if None in lengths else min(lengths)  # type: ignore[type-var]
    if isinstance(source, XComArg) and source.key == "return_value":
        upstream = source.operator.expand_args
        if upstream:
            lengths = [known_length(s) for s in upstream.values()]
            if None not in lengths and KWARGS not in upstream:
                n = 1
                for length in lengths:
                    n *= length  # type: ignore[operator]
                return n
    return None


def _required_keywords(cls: type) -> set[str]:
    from .baseoperator import init_parameters

    return {p.name for p in init_parameters(cls) if p.kind is p.KEYWORD_ONLY and p.default is p.empty}


def _xcom_args(value: Any) -> list[XComArg]:
    if isinstance(value, XComArg):
        return [value]
    if isinstance(value, dict):
        return [r for v in value.values() for r in _xcom_args(v)]
    if isinstance(value, list | tuple):
        return [r for v in value for r in _xcom_args(v)]
    return []


def _resolved(source: Any, pull: Any) -> list[Any]:
    if isinstance(source, ZipXComArg):
        lists = [list(_resolved(a, pull)) for a in source.args]
        return list(zip(*lists, strict=False))
    if isinstance(source, MapXComArg):
        return list(source.arg.values(pull(source.task_id, source.key)))
    if isinstance(source, XComArg):
        value = pull(source.task_id, source.key)
        return list(value.items()) if isinstance(value, dict) else list(value or [])
    return list(source)


def element_kwargs(op: Any, map_index: int, pull: Any) -> dict[str, Any]:
    """The arguments of mapped instance `map_index` (callables of .map applied)."""
    names = list(op.expand_args)
    lists = [_resolved(op.expand_args[n], pull) for n in names]
    try:
        combo = next(itertools.islice(itertools.product(*lists), map_index, None))
    except StopIteration:
        raise AirflowException(f"map index {map_index} is out of range") from None
    out: dict[str, Any] = {}
    for name, source, value in zip(names, (op.expand_args[n] for n in names), combo, strict=True):
        if isinstance(source, MapXComArg):
            value = source.apply(value)
        if name == KWARGS:
            if not isinstance(value, dict):
                raise AirflowException(f"expand_kwargs() needs dicts, got {type(value).__name__}")
            out.update(value)
        else:
            out[name] = value
    return out
