"""Sandboxed Jinja2 rendering of a task's templated fields.

The sandbox (jinja2.sandbox.SandboxedEnvironment) refuses attribute access to internals, so
a template in a DAG file cannot reach the interpreter. Undefined names raise, naming the
name, rather than rendering as an empty string: a typo in `{{ ds_nodahs }}` should fail the
try, not write to the wrong partition. Jinja is imported on first render, not on import.
"""

from __future__ import annotations

import functools
import json
import random
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

from .nested import map_leaves


def ds_add(ds: str, days: int) -> str:
    """`ds_add('2023-01-01', 5)` -> '2023-01-06'."""
    return (datetime.strptime(ds, "%Y-%m-%d") + timedelta(days=days)).strftime("%Y-%m-%d")


def ds_format(ds: str, input_format: str, output_format: str) -> str:
    """`ds_format('2023-01-01', '%Y-%m-%d', '%d/%m/%Y')` -> '01/01/2023'."""
    return datetime.strptime(ds, input_format).strftime(output_format)


MACROS = SimpleNamespace(
    ds_add=ds_add, ds_format=ds_format, datetime=datetime, timedelta=timedelta,
    time=time, uuid=uuid, random=random.random, json=json,
)


JINJA_OPTIONS = "__legato_jinja_options__"


@dataclass(frozen=True)
class JinjaOptions:
    """Per-DAG Jinja settings (Airflow's user_defined_filters, render_template_as_native_obj and
    template_searchpath), passed to `render` inside the variables under JINJA_OPTIONS."""

    native: bool = False
    searchpath: tuple[str, ...] = ()
    filters: tuple[tuple[str, Any], ...] = ()


_DEFAULT_OPTIONS = JinjaOptions()


@functools.lru_cache(maxsize=64)
def _environment(options: JinjaOptions = _DEFAULT_OPTIONS) -> Any:
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    cls: type[Any] = SandboxedEnvironment
    if options.native:
        from jinja2.nativetypes import NativeEnvironment

        cls = type("NativeSandboxedEnvironment", (NativeEnvironment, SandboxedEnvironment), {})
    loader = FileSystemLoader(list(options.searchpath)) if options.searchpath else None
    env = cls(undefined=StrictUndefined, keep_trailing_newline=True, loader=loader)
    env.filters["ds"] = lambda d: d.strftime("%Y-%m-%d")
    env.filters["ds_nodash"] = lambda d: d.strftime("%Y%m%d")
    env.filters["ts"] = lambda d: d.isoformat()
    env.filters["ts_nodash"] = lambda d: d.strftime("%Y%m%dT%H%M%S")
    env.filters.update(dict(options.filters))
    return env


@functools.lru_cache(maxsize=1024)
def _compile(source: str, options: JinjaOptions = _DEFAULT_OPTIONS) -> Any:
    return _environment(options).from_string(source)


def render(value: Any, variables: dict[str, Any]) -> Any:
    """Render strings inside `value` (recursing into lists, tuples and dicts)."""
    options = variables.get(JINJA_OPTIONS, _DEFAULT_OPTIONS)

    def leaf(v: Any) -> Any:
        if isinstance(v, str) and ("{{" in v or "{%" in v):
            return _compile(v, options).render(variables)
        return v

    return map_leaves(value, leaf)


def has_template(value: Any) -> bool:
    """Whether `render` would change anything in `value` (a string with {{ or {% inside,
    at any depth): most fields of most tasks are plain, and building the variables is then
    the larger part of a no-op try."""
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    if isinstance(value, list | tuple):
        return any(has_template(v) for v in value)
    if isinstance(value, dict):
        return any(has_template(v) for v in value.values())
    return False


def template_variables(ctx: Any) -> dict[str, Any]:
    """The names a template sees: the context plus `macros`; a task that defines
    `template_context(ctx)` (an Airflow operator) supplies its own names instead."""
    hook = getattr(getattr(ctx, "task", None), "template_context", None)
    if hook is not None:
        return cast("dict[str, Any]", hook(ctx))
    names: dict[str, Any] = ctx.as_dict()
    names["macros"] = MACROS
    return names
