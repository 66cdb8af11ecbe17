"""io/destination.py, the one way rows land in a SQL table (behind Warehouse and SqlTable), on a
real SQLite file: a missing table is created once and the write runs again; a conflict is run
again with the policy's waits, a bounded number of times; anything else is raised at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from legato.io.backends import SqlBackend
from legato.io.ddl import TableMissing
from legato.io.destination import Conflicts, SqlDestination
from legato.retrying import Backoff


class Lost(Exception):
    """Stands for a write conflict a concurrent writer won."""


@pytest.fixture
def dest(tmp_path: Path) -> SqlDestination:
    waits: list[float] = []
    d = SqlDestination(SqlBackend(f"sqlite:///{tmp_path / 'd.db'}"), lambda t: (None, t),
                       sleep=waits.append)
    d.waits = waits  # type: ignore[attr-defined]
    return d


def _insert(dest: SqlDestination, value: int) -> int:
    with dest.transaction() as s:
        if s.columns(None, "t") is None:
            raise TableMissing("t")
        return s.execute("INSERT INTO t (v) VALUES (:v)", {"v": value})


def test_a_missing_table_is_created_then_the_write_runs_again(dest: SqlDestination) -> None:
    made: list[str] = []

    def ddl(table: str):
        made.append(table)
        return lambda s: s.execute(f"CREATE TABLE {table} (v INTEGER)")

    assert dest.write(lambda: _insert(dest, 1), ddl) == 1
    assert dest.write(lambda: _insert(dest, 2), ddl) == 1
    assert made == ["t"]
    with dest.transaction() as s:
        assert [r["v"] for r in s.rows("SELECT v FROM t ORDER BY v")] == [1, 2]


def test_a_table_that_disappears_again_is_an_error(dest: SqlDestination) -> None:
    def always_missing() -> None:
        raise TableMissing("t")

    with pytest.raises(RuntimeError, match="table 't' disappeared while writing to it"):
        dest.write(always_missing, lambda table: lambda s: s.execute("CREATE TABLE t (v INTEGER)"))


def test_conflicts_are_run_again_with_the_policys_waits(dest: SqlDestination) -> None:
    outcomes = iter([Lost(), Lost(), 7])

    def attempt() -> int:
        out = next(outcomes)
        if isinstance(out, Exception):
            raise out
        return out

    policy = Conflicts(lambda e: isinstance(e, Lost), retries=2, backoff=Backoff(0.02, jitter=0))
    assert dest.write(attempt, lambda t: lambda s: None, policy) == 7
    assert dest.waits == [0.02, 0.04]  # type: ignore[attr-defined]


def test_conflicts_past_the_bound_and_other_errors_are_raised(dest: SqlDestination) -> None:
    calls: list[int] = []

    def lose() -> None:
        calls.append(1)
        raise Lost()

    with pytest.raises(Lost):
        dest.write(lose, lambda t: lambda s: None, Conflicts(lambda e: isinstance(e, Lost), 3))
    assert len(calls) == 4
    with pytest.raises(Lost):
        dest.write(lose, lambda t: lambda s: None)            # no conflict policy: once
    assert len(calls) == 5
