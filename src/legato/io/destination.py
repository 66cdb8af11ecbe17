"""`SqlDestination`: the one way rows land idempotently in a SQL table, behind both
`legato.io.Warehouse` (DuckDB or any SQLAlchemy database) and `legato.quality.SqlTable`.

What both need, written once:
- each write is ONE transaction on the backend (io/backends.py), so rows and the marks that
  make a repeat harmless (a load id, a delivered key) commit together or not at all;
- a table the write finds missing (it raises io/ddl.TableMissing) is created in a short
  transaction of its own, race-safely (io/ddl.create_once), and the write runs again; a table
  that disappears again after that is an error;
- a write that loses a conflict to a concurrent one (`Conflicts.applies`: a serialization
  failure, DuckDB's optimistic concurrency, a mark's primary key taken by a concurrent replay)
  is run again, a bounded number of times, with legato.retrying's Backoff between tries.

What each keeps as its own: the statements (Warehouse's modes and `legato_loads` marks;
SqlTable's reflected table and `legato_delivered` marks) and its documented retry numbers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from ..retrying import Backoff, call_with_retries
from .backends import DuckBackend, Session, SqlBackend
from .ddl import TableMissing, create_once

T = TypeVar("T")
Create = Callable[[Session], object]     # runs the DDL of one missing table in a session


@dataclass(frozen=True)
class Conflicts:
    """Which errors mean "a concurrent write won, run it again", how often, how far apart."""

    applies: Callable[[BaseException], bool]
    retries: int
    backoff: Backoff = Backoff(0.0, jitter=0)


NO_RETRY = Conflicts(lambda exc: False, 0)


class SqlDestination:
    """`locate(table)` is the (schema or None, name) of a table its writes name."""

    def __init__(self, backend: DuckBackend | SqlBackend,
                 locate: Callable[[str], tuple[str | None, str]], *,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.backend = backend
        self.locate = locate
        self.sleep = sleep

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self.backend.transaction() as session:
            yield session

    def write(self, attempt: Callable[[], T], ddl_for: Callable[[str], Create],
              conflicts: Conflicts = NO_RETRY) -> T:
        """`attempt()` (one transaction of its own) until it lands: creating what it finds
        missing with `ddl_for(table)`, and again after a conflict `conflicts` allows."""
        return call_with_retries(lambda: self._with_tables(attempt, ddl_for),
                                 attempts=conflicts.retries + 1,
                                 retry_on=conflicts.applies, backoff=conflicts.backoff,
                                 sleep=self.sleep)

    def _with_tables(self, attempt: Callable[[], T], ddl_for: Callable[[str], Create]) -> T:
        created: set[str] = set()
        while True:
            try:
                return attempt()
            except TableMissing as missing:
                if missing.table in created:
                    raise RuntimeError(f"table {missing.table!r} disappeared while writing "
                                       f"to it") from None
                created.add(missing.table)
                self.create(missing.table, ddl_for(missing.table))

    def create(self, table: str, ddl: Create) -> None:
        """Create `table` race-safely: another writer creating it first counts as done."""
        where = self.locate(table)

        def create() -> None:
            with self.transaction() as s:
                ddl(s)

        def exists() -> bool:
            with self.transaction() as s:
                return s.columns(*where) is not None

        create_once(create, exists)
