"""Two `legato scheduler` processes on one PostgreSQL database never drive one run twice.

A fan-out DAG whose tasks append to a ledger file: with both schedulers alive every (run, task)
runs exactly once and no try fails; when one is killed (-9) mid-run, or frozen (SIGSTOP) past
the owner timeout and then resumed, the other adopts its runs, and still every task has
exactly one successful try, every try the ledger saw is on record, and the resumed scheduler
writes nothing to the runs it lost.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from legato.config import load_settings
from legato.services import operate
from legato.store.db import normalize_url
from waiting import eventually

pytestmark = pytest.mark.e2e
WIDTH = 6
DEADLINE_S = 90


class Rig:
    def __init__(self, tmp_path: Path, url: str, home: Path, max_active_runs: int = 40) -> None:
        self.ledger = tmp_path / "ledger.txt"
        self.log = tmp_path / "schedulers.log"
        self.dags = tmp_path / "dags"
        self.dags.mkdir()
        (self.dags / "fan.py").write_text(textwrap.dedent(f"""
            import time
            from legato import DAG, task
            from legato.tasks import EmptyTask
            with DAG("fan", schedule=None, max_active_runs={max_active_runs},
                     default_args={{"retries": 3, "retry_delay": 0}}) as dag:
                @task
                def work(ctx):
                    time.sleep(0.2)
                    with open({str(self.ledger)!r}, "a") as f:
                        f.write(f"{{ctx.run_id}} {{ctx.task_id}} {{ctx.try_number}}\\n")
                start, end = EmptyTask("start"), EmptyTask("end")
                for i in range({WIDTH}):
                    start >> work.override(task_id=f"w{{i}}")() >> end
        """))
        self.env = {**os.environ, "LEGATO_HOME": str(home), "LEGATO_DAGS": str(self.dags),
                    "LEGATO_DATABASE_URL": url, "LEGATO_OWNER_TIMEOUT_S": "3"}
        self.engine = sa.create_engine(normalize_url(url))
        self.procs: list[subprocess.Popen[bytes]] = []

    def trigger(self, n: int, month: int) -> set[str]:
        """Queue n runs (this also creates the schema before any scheduler starts)."""
        settings = load_settings()
        return {operate.trigger(settings, "fan", f"2024-{month:02d}-{d + 1:02d}").run_id
                for d in range(n)}

    def start(self) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([sys.executable, "-m", "legato.cli.main", "scheduler"],
                                env=self.env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        self.procs.append(proc)
        until(lambda: proc.pid in self.owners().values(), proc)
        return proc

    def owners(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return dict(conn.execute(sa.text("SELECT id, pid FROM schedulers")).all())

    def owner_of(self, proc: subprocess.Popen[bytes]) -> str:
        return next(i for i, pid in self.owners().items() if pid == proc.pid)

    def scalar(self, sql: str, **params: object) -> int:
        with self.engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar_one()

    def owned_by(self, owner: str) -> set[str]:
        with self.engine.connect() as conn:
            return set(conn.execute(sa.text("SELECT run_id FROM dag_runs WHERE owner = :o"),
                                    {"o": owner}).scalars())

    def unfinished(self) -> int:
        return self.scalar("SELECT count(*) FROM dag_runs WHERE state NOT IN ('success','failed')")

    def running_runs_of(self, owner: str) -> set[str]:
        with self.engine.connect() as conn:
            return set(conn.execute(sa.text("SELECT run_id FROM dag_runs WHERE state='running' "
                                            "AND owner=:o"), {"o": owner}).scalars())

    def tries(self) -> list[tuple[str, str, int, str, str | None]]:
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(
                "SELECT run_id, task_id, try_number, state, error_type FROM task_tries "
                "WHERE task_id LIKE 'w%'"))]

    def ledger_lines(self) -> list[tuple[str, str, int]]:
        return [(r, t, int(n)) for r, t, n in
                (line.split() for line in self.ledger.read_text().splitlines())]

    def check_exactly_once(self, run_ids: set[str]) -> list[tuple[str, str, int, str, str | None]]:
        """Every run succeeded, every task has one successful try, every try that ran (per
        the ledger) is on record and every success really ran. Returns the tries."""
        with self.engine.connect() as conn:
            states = dict(conn.execute(sa.text("SELECT run_id, state FROM dag_runs")).all())
        tries = self.tries()
        successes = Counter((r, t) for r, t, _, state, _ in tries if state == "success")
        seen = set(self.ledger_lines())
        print(f"\nfault figures (two schedulers, PostgreSQL): runs={len(states)} "
              f"tasks={len(run_ids) * WIDTH} "
              f"tries_lost={sum(e == 'TryLost' for *_, e in tries)} "
              f"tasks_lost={len(run_ids) * WIDTH - len(successes)} "
              f"duplicated_successes={sum(n > 1 for n in successes.values())} "
              f"unrecorded_tries={len(seen - {(r, t, n) for r, t, n, *_ in tries})}")
        assert set(states) == run_ids and set(states.values()) == {"success"}
        assert set(successes) == {(r, f"w{i}") for r in run_ids for i in range(WIDTH)}
        assert set(successes.values()) == {1}
        assert {e for *_, state, e in tries if state != "success"} <= {"TryLost"}
        assert seen <= {(r, t, n) for r, t, n, *_ in tries}
        assert {(r, t, n) for r, t, n, state, _ in tries if state == "success"} <= seen
        return tries

    def diagnosis(self) -> str:
        """What the store and the schedulers' log show (printed when a wait times out)."""
        with self.engine.connect() as conn:
            runs = conn.execute(sa.text("SELECT run_id, state, owner FROM dag_runs")).all()
            tis = conn.execute(sa.text("SELECT run_id, task_id, state, try_number FROM "
                                       "task_instances WHERE state NOT IN ('success')")).all()
            locks = conn.execute(sa.text(
                "SELECT pid, state, wait_event_type, left(query, 120), backend_start, "
                "xact_start, state_change FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).all()
            owners = conn.execute(sa.text("SELECT id, pid, started_at FROM schedulers")).all()
        log = self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""
        return (f"\nruns: {runs}\nunfinished: {tis}\nsessions: {locks}\nowners: {owners}"
                f"\nlog: {log}")

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            proc.wait(timeout=30)
        self.engine.dispose()


def until(check: Callable[[], bool], *alive: subprocess.Popen[bytes],
          rig: Rig | None = None) -> None:
    """Wait for `check` while every scheduler in `alive` runs; `rig` explains a time-out."""
    eventually(check, DEADLINE_S, alive=alive, explain=rig.diagnosis if rig else None)


@pytest.fixture()
def rig(tmp_path: Path, legato_home: Path, scratch_postgres_url: str,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    monkeypatch.setenv("LEGATO_DATABASE_URL", scratch_postgres_url)
    monkeypatch.setenv("LEGATO_DAGS", str(tmp_path / "dags"))
    rig = Rig(tmp_path, scratch_postgres_url, legato_home)
    try:
        yield rig
    finally:
        rig.stop_all()


def test_two_schedulers_run_each_task_once_and_adopt_a_killed_ones_runs(rig: Rig) -> None:
    runs = rig.trigger(20, month=1)
    a, b = rig.start(), rig.start()
    until(lambda: rig.unfinished() == 0, a, b)
    tries = rig.check_exactly_once(runs)
    assert {(n, state) for _, _, n, state, _ in tries} == {(1, "success")}   # none failed
    assert set(Counter((r, t) for r, t, _ in rig.ledger_lines()).values()) == {1}

    a_id, b_id = rig.owner_of(a), rig.owner_of(b)
    b.send_signal(signal.SIGSTOP)      # briefly (under the 3 s timeout), so that a claims runs:
    runs |= rig.trigger(20, month=2)   # the first scheduler to look may claim them all
    until(lambda: rig.scalar("SELECT count(*) FROM task_instances ti JOIN dag_runs r "
                             "ON r.run_id = ti.run_id WHERE ti.state = 'running' "
                             "AND r.owner = :o", o=a_id) > 0, a)
    b.send_signal(signal.SIGCONT)
    driven_by_a = rig.running_runs_of(a_id)
    a.send_signal(signal.SIGKILL)
    a.wait(timeout=30)
    until(lambda: rig.unfinished() == 0, b)
    tries = rig.check_exactly_once(runs)
    adopted = driven_by_a & rig.owned_by(b_id)
    assert adopted and driven_by_a <= adopted | rig.owned_by(a_id)   # adopted, or done by a
    assert any(e == "TryLost" for *_, e in tries)      # the kill landed while tries were running
    until(lambda: a_id not in rig.owners(), b)          # the dead owner is forgotten


def test_max_active_runs_holds_across_two_schedulers(tmp_path: Path, legato_home: Path,
                                                     scratch_postgres_url: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Counted in the store, not per scheduler: before, two schedulers ran 2 x the limit."""
    monkeypatch.setenv("LEGATO_DATABASE_URL", scratch_postgres_url)
    monkeypatch.setenv("LEGATO_DAGS", str(tmp_path / "dags"))
    rig = Rig(tmp_path, scratch_postgres_url, legato_home, max_active_runs=2)
    try:
        runs = rig.trigger(8, month=4)
        a, b = rig.start(), rig.start()
        seen: list[int] = []                     # runs running at once, sampled until done

        def done() -> bool:
            seen.append(rig.scalar("SELECT count(*) FROM dag_runs WHERE state='running'"))
            return rig.unfinished() == 0

        until(done, a, b, rig=rig)
        assert max(seen) == 2
        rig.check_exactly_once(runs)
    finally:
        rig.stop_all()


def test_a_frozen_scheduler_loses_its_runs_and_writes_nothing_after(rig: Rig) -> None:
    runs = rig.trigger(6, month=3)
    a = rig.start()
    a_id = rig.owner_of(a)
    until(lambda: rig.scalar("SELECT count(*) FROM task_instances WHERE state = 'running'") > 0, a)
    a.send_signal(signal.SIGSTOP)                      # frozen: its pid stays alive
    frozen = rig.running_runs_of(a_id)
    b = rig.start()
    b_id = rig.owner_of(b)
    until(lambda: not rig.running_runs_of(a_id), b, rig=rig)  # adopted after the 3 s timeout
    assert frozen and frozen <= rig.owned_by(b_id)
    until(lambda: a_id not in rig.owners(), b)         # it owns nothing now: forgotten
    a.send_signal(signal.SIGCONT)      # it wakes up, finds its row gone and drops its runs;
    until(lambda: rig.unfinished() == 0, a, b)         # its tries' late reports are not written
    until(lambda: len(rig.owners()) == 2, a, b)        # and it registered anew
    rig.check_exactly_once(runs)
    a.send_signal(signal.SIGTERM)
    assert a.wait(timeout=30) == 0                     # losing runs is not a crash
