"""Idempotent triggers: `Idempotency-Key` -> the run the first trigger with that key created,
per DAG, kept in the store (store/idempotency.py), so a client's retry after a timeout, or
after the server restarted, finds the first run instead of making a second.

The first trigger claims the key (a row with no run yet; the primary key refuses a second
claim), creates its run and records the run id; a trigger that loses the claim waits for the
winner's run id (up to WAIT_S, then Conflict) and answers with that run. A failed create gives
the key back, so a retry can succeed; a claim left unsettled for STALE_S (its server died
mid-trigger) is taken over.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from ..config import Settings
from ..errors import Conflict, InvalidInput, NotFound
from ..store import idempotency as store
from ..store import runs as run_store
from ..store.db import open_engine
from ..store.runs import RunRow

WAIT_S = 10.0
STALE_S = 60.0
MAX_KEY_LENGTH = store.MAX_KEY_LENGTH


def trigger_once(settings: Settings, dag_id: str, key: str | None,
                 create: Callable[[], RunRow]) -> tuple[RunRow, bool]:
    """`create()`'s run, or the run an earlier trigger with `key` created; and whether this
    call created it. No key: always create."""
    if not key:
        return create(), True
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(f"Idempotency-Key is longer than {MAX_KEY_LENGTH} characters")
    existing = _claim(settings, dag_id, key)
    if existing is not None:
        return existing, False
    engine = open_engine(settings.database_url)
    try:
        run = create()
    except BaseException:
        with engine.begin() as conn:
            store.release(conn, dag_id, key)
        raise
    with engine.begin() as conn:
        store.settle(conn, dag_id, key, run.run_id)
    return run, True


def _claim(settings: Settings, dag_id: str, key: str) -> RunRow | None:
    """Claim the key (None), or the run of the trigger that holds it (waiting while it is
    still creating that run)."""
    engine = open_engine(settings.database_url)
    deadline = time.monotonic() + WAIT_S
    while True:
        try:
            with engine.begin() as conn:
                store.claim(conn, dag_id, key, datetime.now(UTC))
            return None
        except IntegrityError:
            existing = _settled(settings, dag_id, key)
            if existing is not None:
                return existing
            if time.monotonic() > deadline:
                raise Conflict("a trigger with this Idempotency-Key is still in progress") from None
            time.sleep(0.05)


def _settled(settings: Settings, dag_id: str, key: str) -> RunRow | None:
    """The run of a settled key; None while unsettled (a stale claim is dropped first)."""
    with open_engine(settings.database_url).begin() as conn:
        row = store.get(conn, dag_id, key)
        if row is None:
            return None
        if row.run_id is None:
            if (datetime.now(UTC) - row.created_at).total_seconds() > STALE_S:
                store.release(conn, dag_id, key, claimed_at=row.created_at)
            return None
        run = run_store.get_run(conn, row.run_id)
    if run is None:
        raise NotFound(f"the run {row.run_id!r} of this Idempotency-Key no longer exists")
    return run
