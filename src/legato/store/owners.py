"""Owners: the processes driving runs (schedulers and `dag.run()` calls), so that several of
them on one database never drive one run twice.

Each owner has a row it heartbeats; a running run names its owner in `dag_runs.owner`. An
owner is dead when its heartbeat is older than the timeout, or at once when it ran on this
host and its process is gone (so a scheduler restarted after `kill -9` adopts at once). Owner
times come from the database's clock (`clock`, store/dialect.py), so schedulers on several
hosts never judge each other by skewed local clocks.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from . import dialect
from .dialect import clock
from .schema import schedulers

HOSTNAME = socket.gethostname()
_live: weakref.WeakValueDictionary[str, Owner] = weakref.WeakValueDictionary()


@dataclass(frozen=True, slots=True)
class OwnerRow:
    id: str
    hostname: str
    pid: int
    kind: str
    started_at: datetime
    heartbeat_at: datetime


def all_owners(conn: sa.Connection) -> dict[str, OwnerRow]:
    return {r.id: OwnerRow(r.id, r.hostname, r.pid, r.kind, r.started_at, r.heartbeat_at)
            for r in conn.execute(sa.select(schedulers))}


def delete_if_unchanged(conn: sa.Connection, owner: OwnerRow) -> bool:
    """Forget a dead owner, unless it heartbeated since it was judged (it came back)."""
    done = conn.execute(schedulers.delete().where(schedulers.c.id == owner.id,
                                                  schedulers.c.heartbeat_at == owner.heartbeat_at))
    return done.rowcount == 1


def pid_alive(pid: int) -> bool:
    """Whether a process of this host is running (a zombie, killed but not reaped, is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def is_dead(owner: OwnerRow, *, now: datetime, timeout_s: float) -> bool:
    """Silent for longer than the timeout, or (on this host) its process is gone. In this very
    process an owner is alive exactly while its Owner object is registered."""
    if owner.heartbeat_at < now - timedelta(seconds=timeout_s):
        return True
    if owner.hostname != HOSTNAME:
        return False
    if owner.pid == os.getpid():
        return owner.id not in _live
    return not pid_alive(owner.pid)


class Owner:
    """This process's registration as a driver of runs: register, heartbeat, release."""

    def __init__(self, engine: sa.Engine, kind: str, timeout_s: float) -> None:
        self.engine = engine
        self.kind = kind
        self.timeout_s = timeout_s
        self.id = secrets.token_hex(16)
        self.heartbeat_s = max(0.05, min(5.0, timeout_s / 4))
        self.registered = False
        self._next_beat = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def register(self) -> None:
        dialect.fence_owner_sessions(self.engine, self.timeout_s, HOSTNAME)
        with self.engine.begin() as conn:
            now = clock(conn)
            conn.execute(schedulers.insert().values(
                id=self.id, hostname=HOSTNAME, pid=os.getpid(), kind=self.kind,
                started_at=now, heartbeat_at=now))
        _live[self.id] = self
        self.registered = True
        self._next_beat = time.monotonic() + self.heartbeat_s

    def beat(self) -> bool:
        """Heartbeat; False if the row is gone (another process judged this one dead)."""
        self._next_beat = time.monotonic() + self.heartbeat_s
        with self.engine.begin() as conn:
            done = conn.execute(schedulers.update().where(schedulers.c.id == self.id)
                                .values(heartbeat_at=clock(conn)))
        return done.rowcount == 1

    def beat_due(self) -> bool:
        return time.monotonic() >= self._next_beat

    def beat_if_due(self) -> None:
        """From a driver's loop: a missed beat (store hiccup, or the row gone) is not fatal
        here; the driver's fenced writes notice a lost run."""
        if self.beat_due():
            try:
                self.beat()
            except sa.exc.SQLAlchemyError:
                pass

    def start_heartbeat(self) -> None:
        """Heartbeat from a daemon thread (for a caller whose loop cannot, e.g. dag.run())."""
        def loop() -> None:
            while not self._stop.wait(self.heartbeat_s):
                self.beat_if_due()

        self._thread = threading.Thread(target=loop, name=f"legato-owner-{self.id[:8]}",
                                        daemon=True)
        self._thread.start()

    def release(self) -> None:
        """Clean shutdown: delete the row, so what it still owns is adoptable at once."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        _live.pop(self.id, None)
        if self.registered:
            self.registered = False
            with self.engine.begin() as conn:
                conn.execute(schedulers.delete().where(schedulers.c.id == self.id))
