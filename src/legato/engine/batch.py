"""A batch of state changes, written in one transaction: the scheduler's unit of commit.

Changes accumulate in memory as the scheduler applies events and plans; `flush` writes them
all in one transaction, so a pass over a thousand finished tries costs a few executemany
statements and one commit, and nothing is acted on before it is durable. Bus events staged
with the changes go to the bus's in-transaction subscribers inside that transaction, and are
returned for publishing once it has committed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from ..store import requests as request_store
from ..store import runs as run_store
from ..store import tries as try_store
from ..store import xcom as xcom_store


@dataclass
class Batch:
    run_id: str
    inserts: list[tuple[str, int]] = field(default_factory=list)
    deletes: list[tuple[str, int]] = field(default_factory=list)
    instances: dict[tuple[str, int], try_store.InstanceRow] = field(default_factory=dict)
    tries: dict[tuple[str, int, int], try_store.TryRow] = field(default_factory=dict)
    xcoms: list[xcom_store.XComRow] = field(default_factory=list)
    run_state: tuple[str, datetime | None] | None = None
    events: list[Any] = field(default_factory=list)
    xcom_deletes: list[str] = field(default_factory=list)     # tasks cleared: results dropped
    applied: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # requests, outcome

    def __bool__(self) -> bool:
        return bool(self.inserts or self.deletes or self.instances or self.tries
                    or self.xcoms or self.run_state or self.events or self.xcom_deletes
                    or self.applied)

    def flush(self, engine: sa.Engine, bus: Any = None) -> list[Any]:
        """Commit the changes; return the staged events, to publish now that they are durable."""
        if not self:
            return []
        events, self.events = self.events, []
        try:
            self._write(engine, bus, events)
        except BaseException:
            self.events[:0] = events            # nothing was committed: keep them staged
            raise
        self.inserts.clear()
        self.deletes.clear()
        self.instances.clear()
        self.tries.clear()
        self.xcoms.clear()
        self.xcom_deletes.clear()
        self.applied.clear()
        self.run_state = None
        return events

    def _write(self, engine: sa.Engine, bus: Any, events: list[Any]) -> None:
        with engine.begin() as conn:
            for task_id, map_index in self.deletes:
                try_store.delete_instance(conn, self.run_id, task_id, map_index)
            try_store.insert_instances(conn, self.run_id, self.inserts, "scheduled")
            try_store.update_instances(conn, list(self.instances.values()))
            try_store.insert_tries(conn, list(self.tries.values()))
            xcom_store.delete_of(conn, self.run_id, self.xcom_deletes)
            xcom_store.write(conn, self.xcoms)
            if self.run_state is not None:
                state, end = self.run_state
                run_store.set_run_state(conn, self.run_id, state, end_date=end)
            now = datetime.now(UTC)
            for request_id, outcome in self.applied:
                request_store.mark_applied(conn, request_id, now, outcome)
            if events and bus is not None:
                bus.publish_in_tx(conn, events)
