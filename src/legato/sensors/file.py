"""`FileSensor`: waits until a path (a glob pattern, templated) matches at least one file."""

from __future__ import annotations

import glob
from typing import Any

from ..authoring.context import Context
from .base import BaseSensor
from .triggers import FileTrigger


class FileSensor(BaseSensor):
    template_fields = ("filepath",)

    def __init__(self, task_id: str, filepath: str, **sensor_kwargs: Any) -> None:
        self.filepath = filepath
        super().__init__(task_id, **sensor_kwargs)

    def poke(self, ctx: Context) -> bool:
        ctx.log.info("poking for %s", self.filepath)
        return bool(glob.glob(self.filepath, recursive=True))

    def trigger(self) -> FileTrigger:
        return FileTrigger(self.filepath, self.poke_interval)
