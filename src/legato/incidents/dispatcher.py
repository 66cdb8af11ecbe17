"""The outbox dispatcher: delivers incident events to their sinks, off the scheduler's thread.

- In order per incident and sink: only the oldest pending row of each (incident, sink) queue
  is tried, so `resolved` never overtakes `opened`; one sink being down holds back only its
  own queue.
- Retries with exponential backoff and jitter (`backoff`: legato.retrying's Backoff from 2 s,
  doubling to 5 minutes, up to half taken off), for ever on transient failures
  (connection refused, timeouts, 5xx, 429): a helpdesk down for an hour gets every event when
  it returns. A permanent failure (a 4xx other than 408/409/425/429) is retried a few times,
  then the row is marked `dead` (kept, visible in `legato incidents show`) and the queue moves on.
- Nothing is sent twice by Legato: a row is claimed (conditional update with a lease) before
  it is sent and marked delivered right after, so neither a second dispatcher nor a restart
  re-sends it. The one window left — the process dying between the peer's answer and the
  mark — is covered by each product's dedup (see the sinks' docstrings).
"""

from __future__ import annotations

import logging
import random
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from ..config import Settings
from ..engine.tasklog import log_path
from ..httpclient import client as http_client
from ..httpclient import describe
from ..retrying import Backoff
from ..store import incidents as inc_store
from ..store import outbox
from ..store import tries as try_store
from ..store.db import open_engine
from ..store.faults import StoreFaults
from .config import IncidentConfigError, sink_from_spec
from .sinks import Delivery, DeliveryError, deliver

log = logging.getLogger("legato.incidents.dispatcher")
EXCERPT_LINES, EXCERPT_CHARS = 30, 4000
RECONCILE_S = 5.0


def backoff(attempts: int, *, base_s: float, max_s: float, rng: random.Random) -> float:
    """Seconds before the next try after `attempts` failed ones: base * 2^(attempts-1), capped
    at max_s, scaled by a jitter in (0.5, 1] so a fleet of retries does not arrive at once."""
    return Backoff(base_s, max_s, jitter=0.5).delay(attempts, rng)


def log_excerpt(settings: Settings, doc: dict[str, Any]) -> str | None:
    """The last lines of the failed try's log (kept in its row, or its file)."""
    i, meta = doc["incident"], doc["meta"]
    if i["task_id"] is None or i["run_id"] is None or not meta["try_number"]:
        return None
    with open_engine(settings.database_url).connect() as conn:
        ref = try_store.log_of(conn, i["run_id"], i["task_id"], meta["map_index"],
                               meta["try_number"])
    text = ref.text if ref is not None else None
    if text is None and ref is not None and ref.path is not None:
        path = log_path(settings.logs_dir, i["dag_id"], i["run_id"], i["task_id"],
                        meta["map_index"], meta["try_number"])
        text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else None
    if not text:
        return None
    lines = text.splitlines()[-EXCERPT_LINES:]
    return "\n".join(lines)[-EXCERPT_CHARS:]


class Dispatcher:
    def __init__(self, settings: Settings, *, base_s: float = 2.0, max_s: float = 300.0,
                 lease_s: float = 120.0, poll_s: float = 0.5, max_permanent: int = 5,
                 client: Any = None, rng: random.Random | None = None) -> None:
        self.settings = settings
        self.engine = open_engine(settings.database_url)
        self.base_s, self.max_s, self.lease_s = base_s, max_s, lease_s
        self.poll_s, self.max_permanent = poll_s, max_permanent
        self.owner = secrets.token_hex(8)
        self.rng = rng or random.Random()
        self._client = client
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- one pass ------------------------------------------------------------------------
    def client(self) -> Any:
        if self._client is None:
            self._client = http_client()     # each sink passes its own timeout per request
        return self._client

    def deliver_due(self) -> int:
        """Try the head of every due queue once; returns how many rows were delivered."""
        now = datetime.now(UTC)
        with self.engine.connect() as conn:
            rows = outbox.heads(conn, now)
        return sum(1 for row in rows if self._deliver(row))

    def _claim(self, row: outbox.OutboxRow) -> dict[str, Any] | bool | None:
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            if not outbox.claim(conn, row.id, self.owner, now,
                                now + timedelta(seconds=self.lease_s)):
                return False
            return inc_store.get_ref(conn, row.incident_id, row.sink_key)

    def _deliver(self, row: outbox.OutboxRow) -> bool:
        ref = self._claim(row)
        if ref is False:
            return False
        doc = row.payload
        if row.event != "incident.resolved":
            doc["incident"]["log_excerpt"] = log_excerpt(self.settings, doc)
        delivery = Delivery(row.event, doc, ref if isinstance(ref, dict) else None,
                            f"{doc['meta']['uid']}-{row.id}", row.attempts + 1)
        try:
            new_ref = deliver(sink_from_spec(row.sink), delivery, self.client())
        except DeliveryError as exc:
            self._failed(row, str(exc), exc.permanent)
            return False
        except IncidentConfigError as exc:
            self._failed(row, str(exc), True)
            return False
        except Exception as exc:  # noqa: BLE001 - transport errors, timeouts, a sink's bug
            self._failed(row, describe(exc), False)
            return False
        with self.engine.begin() as conn:
            if new_ref:
                inc_store.set_ref(conn, row.incident_id, row.sink_key, new_ref)
            outbox.mark_delivered(conn, row.id, self.owner, datetime.now(UTC))
        return True

    def _failed(self, row: outbox.OutboxRow, error: str, permanent: bool) -> None:
        attempts = row.attempts + 1
        dead = permanent and attempts >= self.max_permanent
        delay = backoff(attempts, base_s=self.base_s, max_s=self.max_s, rng=self.rng)
        log.warning("incident %s: %s to %s failed (attempt %d%s): %s", row.incident_id,
                    row.event, row.sink.get("type"), attempts, ", giving up" if dead else "", error)
        with self.engine.begin() as conn:
            outbox.mark_failed(conn, row.id, self.owner, error=error, dead=dead,
                               next_at=datetime.now(UTC) + timedelta(seconds=delay))

    # -- bounded drain (dag.run) and the background thread (scheduler, legato up) ----------
    def drain(self, timeout_s: float) -> bool:
        """Deliver until nothing is pending (True) or the next try would fall after
        `timeout_s` (False: the rest is left for a scheduler's dispatcher)."""
        deadline = time.monotonic() + timeout_s
        while True:
            self.deliver_due()
            with self.engine.connect() as conn:
                due = outbox.next_due_at(conn)
            if due is None:
                return True
            wait = (due - datetime.now(UTC)).total_seconds()
            remaining = deadline - time.monotonic()
            if remaining <= 0 or wait > remaining:
                return False
            time.sleep(min(max(wait, 0.01), remaining))

    def start(self) -> Dispatcher:
        self._thread = threading.Thread(target=self._loop, name="legato-incidents", daemon=True)
        self._thread.start()
        return self

    def reconcile(self) -> int:
        """Resolve incidents whose task succeeded unseen (see listener.py); then deliver."""
        from .listener import IncidentListener

        with self.engine.begin() as conn:
            return IncidentListener(self.settings, global_sinks=()).reconcile(conn)

    def _pass(self, state: dict[str, float]) -> None:
        if time.monotonic() >= state["next_reconcile"]:
            state["next_reconcile"] = time.monotonic() + RECONCILE_S
            self.reconcile()
        self.deliver_due()

    def _loop(self) -> None:
        state = {"next_reconcile": 0.0}
        faults = StoreFaults(what="incident dispatcher")    # a store outage: one line, retry
        while not self._stop.is_set():
            try:
                if not faults.guard(lambda: self._pass(state), self._stop):
                    continue
            except Exception:  # a sink's or a query's bug must not stop delivery
                log.exception("incident dispatcher pass failed")
            self._stop.wait(self.poll_s)

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        if self._client is not None:
            self._client.close()
            self._client = None
