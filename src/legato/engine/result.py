"""`RunResult`: what `dag.run()` returns — the run's state and each task's outcome.

Results are read from the store lazily: a 10 MB result is loaded only if `.result` is asked for.
A mapped task appears once, with the list of its instances' results and an aggregate state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class TaskResult:
    task_id: str
    state: str
    tries: int
    error: str | None
    start: datetime | None
    end: datetime | None
    map_indexes: tuple[int, ...] = ()
    callback_error: str | None = None       # what its callback raised (the task's state stands)
    _load: Callable[[], Any] | None = field(default=None, repr=False)

    @property
    def result(self) -> Any:
        """The task's return value (a list for a mapped task)."""
        return self._load() if self._load is not None else None

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state, "tries": self.tries,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None, "error": self.error,
            "callback_error": self.callback_error,
        }


@dataclass
class RunResult:
    dag_id: str
    run_id: str
    logical_date: datetime
    state: str
    tasks: dict[str, TaskResult]
    note: str | None = None
    callback_error: str | None = None       # a DAG callback that raised

    def __getitem__(self, task_id: str) -> TaskResult:
        try:
            return self.tasks[task_id]
        except KeyError:
            raise KeyError(f"run {self.run_id!r} has no task {task_id!r}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.tasks)

    def __repr__(self) -> str:
        return f"<RunResult {self.dag_id} {self.run_id} {self.state}>"

    def to_json(self) -> dict[str, Any]:
        return {
            "dag_id": self.dag_id, "run_id": self.run_id,
            "logical_date": self.logical_date.isoformat(), "state": self.state,
            "note": self.note, "callback_error": self.callback_error,
            "tasks": {t: r.to_json() for t, r in self.tasks.items()},
        }
