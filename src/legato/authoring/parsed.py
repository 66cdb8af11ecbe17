"""`ParsedDag`: a DAG as the scheduler, the server and the CLI know it — its spec, no code.

DAG files are user code, so the long-running processes never import them: a child process
does (engine/dagprocessor.py) and hands back each DAG's spec as JSON. A ParsedDag rebuilds
from that JSON what those processes read of a DAG (id, file, schedule, dates, catchup, limits,
params, SLA), with the same attribute names as `DAG`, so code that plans runs takes either.
Only a worker about to run a task imports the file itself (engine/registry.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from .schedule_codec import decode_schedule
from .spec import DagSpec, TaskSpec


class DagLike(Protocol):
    """What planning code reads of a DAG: a live `DAG` and a `ParsedDag` both are one."""

    @property
    def dag_id(self) -> str: ...
    @property
    def fileloc(self) -> str: ...
    @property
    def schedule(self) -> Any: ...
    @property
    def start_date(self) -> datetime | None: ...
    @property
    def params(self) -> dict[str, Any]: ...
    @property
    def is_paused_upon_creation(self) -> bool | None: ...
    def spec(self) -> DagSpec: ...
    def spec_json(self) -> str: ...


def _date(text: str | None, tz: str) -> datetime | None:
    if text is None:
        return None
    value = datetime.fromisoformat(text)
    return value.astimezone(ZoneInfo(tz)) if tz != "UTC" else value


class ParsedDag:
    """A DAG rebuilt from its spec; see the module docstring."""

    def __init__(self, spec: DagSpec, spec_json: str | None = None) -> None:
        self._spec = spec
        self._spec_json = spec_json if spec_json is not None else spec.to_json()
        self.dag_id = spec.dag_id
        self.fileloc = spec.fileloc
        self.schedule = decode_schedule(spec.schedule_def)
        self.start_date = _date(spec.start_date, spec.timezone)
        self.end_date = _date(spec.end_date, spec.timezone)
        self.catchup = spec.catchup
        self.max_active_runs = spec.max_active_runs
        self.params: dict[str, Any] = dict(spec.params)
        self.tags = spec.tags
        self.description = spec.description
        self.sla = None if spec.sla_s is None else timedelta(seconds=spec.sla_s)
        self.is_paused_upon_creation = spec.paused_at_creation

    @classmethod
    def from_json(cls, text: str) -> ParsedDag:
        return cls(DagSpec.from_json(text), text)

    @property
    def tasks(self) -> dict[str, TaskSpec]:
        return self._spec.tasks

    def has_callback(self, name: str) -> bool:
        """Whether the DAG defines `on_success` / `on_failure` (run by a worker, not here)."""
        return name in self._spec.dag_callbacks

    def spec(self) -> DagSpec:
        return self._spec

    def spec_json(self) -> str:
        return self._spec_json

    def __repr__(self) -> str:
        return f"<ParsedDag {self.dag_id!r} tasks={len(self._spec.tasks)}>"
