"""`PythonSensor`: waits until a callable returns something truthy (poke or reschedule)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..authoring.context import Context
from .base import BaseSensor


class PythonSensor(BaseSensor):
    """`python_callable(*op_args, **op_kwargs)`; given `ctx` too if it has a `ctx` parameter."""

    supports_deferral = False

    def __init__(self, task_id: str, python_callable: Callable[..., Any], *,
                 op_args: Sequence[Any] = (), op_kwargs: Mapping[str, Any] | None = None,
                 **sensor_kwargs: Any) -> None:
        self.python_callable = python_callable
        self.op_args = tuple(op_args)
        self.op_kwargs = dict(op_kwargs or {})
        super().__init__(task_id, **sensor_kwargs)

    def poke(self, ctx: Context) -> Any:
        kwargs = dict(self.op_kwargs)
        try:
            if "ctx" in inspect.signature(self.python_callable).parameters:
                kwargs["ctx"] = ctx
        except (TypeError, ValueError):
            pass
        return self.python_callable(*self.op_args, **kwargs)
