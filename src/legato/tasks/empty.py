"""`EmptyTask`: a task that does nothing, for joins, fan points and start/end markers."""

from __future__ import annotations

from typing import Any

from ..authoring.context import Context
from ..authoring.task import Task


class EmptyTask(Task):
    """Succeeds at once; the engine still applies its trigger rule (e.g. an `all_done` end)."""

    def execute(self, ctx: Context) -> Any:
        return None
