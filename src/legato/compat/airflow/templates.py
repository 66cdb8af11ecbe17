"""Templated fields the Airflow way: `template_ext` files, search paths, user macros/filters.

Rendering itself is Legato's (authoring/templating.py: a Jinja sandbox with StrictUndefined,
as Airflow's default); this module supplies what an Airflow operator's templates see: the
Airflow context, the DAG's `user_defined_macros`, and the Jinja options (`user_defined_filters`,
`render_template_as_native_obj`, the DAG folder plus `template_searchpath` for includes).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ...authoring.templating import JINJA_OPTIONS, JinjaOptions, render


def search_path(dag: Any) -> tuple[str, ...]:
    folder = str(Path(getattr(dag, "fileloc", ".")).resolve().parent)
    extra = getattr(dag, "template_searchpath", None) or ()
    extra = [extra] if isinstance(extra, str) else list(extra)
    return (folder, *[os.path.join(folder, p) for p in extra])


def _read_template(dag: Any, name: str) -> str | None:
    for base in search_path(dag):
        path = Path(base, name)
        if path.is_file():
            return path.read_text()
    return None


def resolve_template_files(op: Any) -> None:
    """Replace a templated field naming a `template_ext` file by the file's text."""
    exts = tuple(op.template_ext or ())
    if not exts:
        return
    missing: list[str] = []

    def resolved(value: Any) -> Any:
        if isinstance(value, str) and value.endswith(exts):
            text = _read_template(op.dag, value)
            if text is None:
                missing.append(value)
            return value if text is None else text
        if isinstance(value, list):
            return [resolved(v) for v in value]
        if isinstance(value, dict):
            return {k: resolved(v) for k, v in value.items()}
        return value

    for field in op.template_fields:
        value = getattr(op, field, None)
        if value is not None:
            setattr(op, field, resolved(value))
    op._missing_templates = missing


def jinja_options(dag: Any) -> JinjaOptions:
    filters = getattr(dag, "user_defined_filters", None) or {}
    return JinjaOptions(native=bool(getattr(dag, "render_template_as_native_obj", False)),
                        searchpath=search_path(dag), filters=tuple(sorted(filters.items())))


def template_namespace(op: Any, ctx: Any) -> dict[str, Any]:
    from .context import airflow_context

    names = dict(airflow_context(ctx, op))
    names.update(getattr(op.dag, "user_defined_macros", None) or {})
    names[JINJA_OPTIONS] = jinja_options(op.dag)
    return names


def render_value(op: Any, value: Any, context: Any) -> Any:
    names = dict(context)
    names.update(getattr(op.dag, "user_defined_macros", None) or {})
    names[JINJA_OPTIONS] = jinja_options(op.dag)
    return render(value, names)


def render_fields(op: Any, context: Any) -> None:
    for field in op.template_fields:
        setattr(op, field, render_value(op, getattr(op, field, None), context))
