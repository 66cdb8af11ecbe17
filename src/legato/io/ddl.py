"""Creating a table that several loaders may create at the same moment.

Parallel first loads into a table that does not exist yet all see it missing and all try to
create it. Inside their load transactions that loses rows: PostgreSQL blocks the second
CREATE until the first commits, then fails it (a unique violation on `pg_type`, or "relation
already exists"), and DuckDB fails the second commit with a catalog write-write conflict. So
a table is created in a short transaction of its own, before the load, and a creation that
fails because another loader won the race counts as done: the loser looks again, finds the
table, and loads into it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from ..retrying import Backoff

ATTEMPTS = 6
BACKOFF = Backoff(0.005, math.inf, jitter=0)       # 5, 10, 20, ... ms


class TableMissing(Exception):
    """Raised inside a load transaction that found `table` missing: create it, then load again."""

    def __init__(self, table: str) -> None:
        super().__init__(f"table {table!r} does not exist yet")
        self.table = table


def create_once(create: Callable[[], None], exists: Callable[[], bool]) -> None:
    """Run `create` (its own transaction); if it fails and `exists()` is now true, another
    loader created the table first, which is just as good. DuckDB refuses a CREATE while
    another transaction's CREATE of the same table is not committed yet, so a failure with
    the table still missing is tried again a few times (a few ms apart) before it is raised."""
    for attempt in range(ATTEMPTS):
        try:
            create()
            return
        except Exception:
            if exists():
                return
            if attempt == ATTEMPTS - 1:
                raise
        time.sleep(BACKOFF.delay(attempt + 1))
