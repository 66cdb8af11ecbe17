"""New work wakes a running scheduler at once instead of at its next poll.

A trigger, a cleared run, an operator's request or a dataset update is written by another
process (the CLI, the API, a `dag.run()`); the scheduler would otherwise see it only at its
next housekeeping pass, up to a second later. After committing such work its writer calls
`notify`; each running scheduler has a `WakeListener` that ends its wait when told:

- PostgreSQL: `NOTIFY legato_wake`, heard by a `LISTEN` on a connection of the listener's
  own, on every host sharing the database;
- SQLite (one host): a datagram to each scheduler of the store, whose UDP port on 127.0.0.1
  is written in `$LEGATO_HOME/wake/<pid>-<id>.port` while it runs.

Best effort: a lost wake-up costs only the poll interval, and a notify never fails its
caller.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from ..atomicfile import write_atomic
from ..store.owners import pid_alive

log = logging.getLogger("legato.wakeup")
CHANNEL = "legato_wake"


def _wake_dir(home: Path) -> Path:
    return Path(home) / "wake"


def notify(database_url: str, home: Path) -> None:
    """Tell the schedulers sharing this store that there is new work (after its commit)."""
    try:
        if database_url.startswith(("postgresql", "postgres")):
            from ..store.db import open_engine

            with open_engine(database_url).connect() as conn:
                conn.exec_driver_sql(f"NOTIFY {CHANNEL}")
                conn.commit()
            return
        folder = _wake_dir(home)
        if not folder.is_dir():
            return
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for entry in folder.glob("*.port"):
                with contextlib.suppress(OSError, ValueError):
                    sock.sendto(b"w", ("127.0.0.1", int(entry.read_text())))
    except Exception as exc:  # noqa: BLE001 - a wake-up is an optimisation, never a failure
        log.debug("could not wake the schedulers: %s", exc)


class WakeListener:
    """Calls `on_wake()` whenever `notify` is called for this store (see the module)."""

    def __init__(self, database_url: str, home: Path, on_wake: Callable[[], None]) -> None:
        self.database_url, self.home, self.on_wake = database_url, Path(home), on_wake
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._port_file: Path | None = None
        self._sock: socket.socket | None = None

    def start(self) -> WakeListener:
        target = self._listen_pg if self.database_url.startswith("postgres") else self._listen_udp
        if target == self._listen_udp:
            self._bind()
        self._thread = threading.Thread(target=target, name="legato-wake", daemon=True)
        self._thread.start()
        return self

    def _bind(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.5)
        folder = _wake_dir(self.home)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.port"):               # left by a scheduler killed -9
            pid = stale.name.partition("-")[0]
            if pid.isdigit() and not pid_alive(int(pid)):
                stale.unlink(missing_ok=True)
        self._port_file = folder / f"{os.getpid()}-{secrets.token_hex(4)}.port"
        # whole or not at all: a notifier reading it half-written would miss this scheduler
        write_atomic(self._port_file, str(sock.getsockname()[1]), fsync=False)
        self._sock = sock

    def _listen_udp(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                self._sock.recv(64)
            except TimeoutError:
                continue
            except OSError:
                return
            self.on_wake()

    def _listen_pg(self) -> None:
        import psycopg

        dsn = sa.engine.make_url(self.database_url).set(drivername="postgresql")
        while not self._stop.is_set():
            try:
                with psycopg.connect(dsn.render_as_string(hide_password=False),
                                     autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=0.5):
                            self.on_wake()
            except Exception as exc:  # noqa: BLE001 - the database went away: poll meanwhile
                log.debug("wake listener: %s; reconnecting", exc)
                self._stop.wait(1.0)

    def stop(self) -> None:
        self._stop.set()
        if self._port_file is not None:
            self._port_file.unlink(missing_ok=True)
        if self._sock is not None:
            self._sock.close()
