"""Several processes opening one new, empty database at once (a scheduler starting while a CLI
command runs) all end up with the head schema; none fails on "table already exists"."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from legato.store.db import HEAD_REVISION, normalize_url, stored_revision

OPEN = ("import sys, time\n"
        "from legato.store.db import open_engine\n"
        "while time.time() < float(sys.argv[2]):\n"
        "    pass\n"
        "open_engine(sys.argv[1])\n")


def _race(url: str) -> None:
    start_at = str(time.time() + 1.5)            # all start creating within a millisecond or so
    procs = [subprocess.Popen([sys.executable, "-c", OPEN, url, start_at],
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
    assert all(code == 0 for code, _ in results), [err[-2000:] for _, err in results]
    engine = sa.create_engine(normalize_url(url))
    assert stored_revision(engine) == HEAD_REVISION
    engine.dispose()


def test_processes_racing_to_create_a_new_sqlite_database_all_succeed(tmp_path: Path) -> None:
    for attempt in range(2):
        _race(f"sqlite:///{tmp_path / f'race{attempt}.db'}")


def test_processes_racing_to_create_a_new_postgres_database_all_succeed(
        scratch_postgres_url: str) -> None:
    _race(scratch_postgres_url)
