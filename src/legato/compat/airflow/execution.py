"""One try of an Airflow operator on Legato: what happens between the runner's call and the
operator's own `execute(context)`.

In order: the Airflow context; the skip a short-circuit upstream asked for (Airflow's
`ignore_downstream_trigger_rules`); the mapped element; XComArgs in templated fields
resolved; the execute callback, pre_execute, execute, post_execute; then the result pushed
(or not: `do_xcom_push`), split into keys for `multiple_outputs`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from ...authoring.context import Context as LegatoContext
from ...authoring.templating import render
from .context import airflow_context, reset_current, set_current
from .exceptions import AirflowException, AirflowSkipException
from .models import _Literal

SHORT_CIRCUIT_KEY = "__legato_short_circuit_skip__"


def callback_context(ctx: Any) -> Any:
    """Airflow's callback context for a Legato Context (exception and reason filled in)."""
    if not isinstance(ctx, LegatoContext):
        return ctx
    context = airflow_context(ctx)
    error = getattr(ctx, "exception", None)
    if error is not None and not isinstance(error, BaseException):
        error = AirflowException(error)
    context["exception"] = error
    context["reason"] = None if error is None else str(error)
    return context


def pull_fn(ctx: LegatoContext) -> Callable[[str, str], Any]:
    def pull(task_id: str, key: str) -> Any:
        try:
            return ctx._xcom.pull(task_id, key)
        except KeyError:
            return None

    return pull


def resolve(value: Any, ctx: LegatoContext, context: Any) -> Any:
    """XComArgs, @dag params and literals inside `value` replaced by what they stand for."""
    from .xcom_arg import DagParam, XComArg

    if isinstance(value, XComArg):
        return value.values(pull_fn(ctx)(value.task_id, value.key))
    if isinstance(value, DagParam):
        return value.resolve(context)
    if isinstance(value, _Literal):
        return value.value
    if isinstance(value, list):
        return [resolve(v, ctx, context) for v in value]
    if isinstance(value, tuple):
        return tuple(resolve(v, ctx, context) for v in value)
    if isinstance(value, dict):
        return {k: resolve(v, ctx, context) for k, v in value.items()}
    return value


def _short_circuited(op: Any, ctx: LegatoContext) -> bool:
    guards = getattr(op.dag, "_short_circuit_guards", None)
    if not guards:
        return False
    ancestors = op.get_flat_relative_ids(upstream=True) & guards
    pull = pull_fn(ctx)
    return any(pull(t, SHORT_CIRCUIT_KEY) for t in ancestors)


def _apply_mapping(op: Any, ctx: LegatoContext, context: Any) -> None:
    from .mapping import element_kwargs

    values = element_kwargs(op, ctx.map_index, pull_fn(ctx))
    op.mapped_values = values
    if getattr(op, "maps_into_op_kwargs", False):    # a TaskFlow function's arguments
        op.op_kwargs = {**op.op_kwargs, **values}
        return
    names = set(op.template_fields)
    from .templates import template_namespace

    variables = None
    for name, value in values.items():
        if name in names and isinstance(value, str | list | dict | tuple):
            variables = variables or template_namespace(op, ctx)
            value = render(value, variables)
        setattr(op, name, value)


def _prepare(op: Any, ctx: LegatoContext, context: Any) -> None:
    missing = getattr(op, "_missing_templates", None)
    if missing:
        raise AirflowException(f"TemplateNotFound: {missing[0]}")
    if op.expand_args:
        _apply_mapping(op, ctx, context)
    for name in op.template_fields:
        value = getattr(op, name, None)
        if value is not None:
            setattr(op, name, resolve(value, ctx, context))


def _push_result(op: Any, ctx: LegatoContext, result: Any) -> Any:
    if op.is_branch:
        return result               # the ids to follow, which the runner needs
    if not op.do_xcom_push:
        return None
    if op.multiple_outputs and result is not None:
        if not isinstance(result, dict):
            raise AirflowException(f"Returned output was type {type(result)} expected "
                                   "dictionary for multiple_outputs")
        for key, value in result.items():
            if not isinstance(key, str):
                raise AirflowException("Returned dictionary keys must be strings when using "
                                       f"multiple_outputs, found {key!r}")
            ctx._xcom.push(key, value)
    return result


def run_operator(op: Any, execute: Callable[..., Any], ctx: LegatoContext) -> Any:
    """Run `execute` (the operator class's own) for the Legato try `ctx`."""
    op = copy.copy(op)
    context = airflow_context(ctx, op)
    token = set_current(context)
    try:
        if _short_circuited(op, ctx):
            raise AirflowSkipException("skipped by a short-circuit upstream")
        _prepare(op, ctx, context)
        if op.on_execute_callback is not None:
            for fn in (op.on_execute_callback if isinstance(op.on_execute_callback, list)
                       else [op.on_execute_callback]):
                fn(context)
        op.pre_execute(context)
        result = execute(op, context)
        op.post_execute(context, result)
        return _push_result(op, ctx, result)
    except AirflowSkipException:
        if op.on_skipped_callback is not None:
            op.on_skipped_callback(context)
        raise
    finally:
        reset_current(token)
