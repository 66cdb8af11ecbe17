"""The Dask executor: tries run on a Dask distributed cluster (`dask://host:8786`).

Each try is one Dask task, submitted with `pure=False`, `retries=0` and a key unique to this
executor and submission, so two tries (or two schedulers sharing a cluster) never collide.
The try's outcome comes back as the Dask future's result; its "started" event travels from
the worker as a Dask structured event (`Worker.log_event` -> `Client.subscribe_topic`), so
the driver learns when a try really starts running (and arms its execution timeout then),
not when it was queued behind other tasks.

Dask reschedules a task whose worker died on another worker (up to the scheduler's
`allowed-failures`), which for a task with side effects would be a silent second run. Each
try therefore claims a file under `$LEGATO_HOME/dask-claims` before it calls the task: a
rescheduled copy finds the claim taken and reports the try lost (`TryLost`) instead of
running it again, and the engine's retry policy decides what happens next (a new try with a
new number). A `KilledWorker` error, a cancelled future or a lost scheduler connection are
reported the same way, so nothing waits forever on a future that will never finish.

Workers must see the same `$LEGATO_HOME` (logs, results, claims) and database as the
scheduler: the same machine or a shared volume. They import the DAG by its file path.
`distributed` is imported only here, when a Dask executor is made.
"""

from __future__ import annotations

import ctypes
import hashlib
import itertools
import logging
import os
import queue
import threading
import time
import uuid
from collections import OrderedDict
from pathlib import Path
from typing import Any

from ...extras import require
from ..runner import TaskTimeout, run_try
from ..tasklog import install_capture
from .base import (
    Outcome,
    StreamEvent,
    TIKey,
    TryCancelled,
    TryEvent,
    TryFinished,
    TryRequest,
    TryStarted,
    drain,
    past_timeout,
)

log = logging.getLogger("legato.executors.dask")

STARTED_TOPIC = "legato-try-started"
CLAIMS_DIR = "dask-claims"
CLAIM_MAX_AGE_S = 7 * 24 * 3600        # claims left by a killed scheduler are swept after this
DEFAULT_PORT = 8786
_REMEMBERED_OUTCOMES = 10_000
TryId = tuple[str, str, int, int]


class ExecutorUnavailable(ValueError):
    """The cluster named by --executor cannot be reached (a ValueError so the CLI reports it
    as bad input, naming the address, rather than as a crash)."""


def parse_address(name: str) -> str:
    """`dask://host[:port]` -> `tcp://host:port`, `dask+tls://...` -> `tls://...`."""
    scheme, sep, rest = name.partition("://")
    protocols = {"dask": "tcp", "dask+tcp": "tcp", "dask+tls": "tls"}
    if not sep or scheme not in protocols or not rest or "/" in rest:
        raise ValueError(f"executor {name!r}: expected dask://host:port "
                         f"(e.g. dask://scheduler:{DEFAULT_PORT})")
    if ":" not in rest or rest.endswith("]"):            # no port (an IPv6 host in [])
        host, port = rest, str(DEFAULT_PORT)
    else:
        host, _, port = rest.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"executor {name!r}: {port!r} is not a port number; "
                         f"expected dask://host:port (e.g. dask://scheduler:{DEFAULT_PORT})")
    return f"{protocols[scheme]}://{host}:{port}"


def _try_id(x: TryRequest | TryStarted | TryFinished) -> TryId:
    return (x.run_id, x.task_id, x.map_index, x.try_number)


def claim_path(home: str | Path, tid: TryId) -> Path:
    digest = hashlib.sha1(repr(tid).encode()).hexdigest()
    return Path(home) / CLAIMS_DIR / f"{digest}.claim"


def _lost(request: TryRequest, why: str, start: float | None = None) -> TryFinished:
    now = time.time()
    return TryFinished(request.run_id, request.task_id, request.map_index,
                       request.try_number, Outcome.FAILED, start=start or now, end=now,
                       error=why, error_type="TryLost")


# -- worker side ---------------------------------------------------------------------------
_capture_lock = threading.Lock()
_capture_installed = False
_running: dict[TryId, tuple[int, float | None, float]] = {}   # try -> (thread, timeout, start)
_running_lock = threading.Lock()


def _ensure_capture() -> None:
    global _capture_installed
    with _capture_lock:
        if not _capture_installed:
            install_capture()            # prints of a try go to its log, once per process
            _capture_installed = True


def _claim(request: TryRequest, where: str) -> str | None:
    """Take this try's claim; None if taken, else the holder (a copy already started)."""
    path = claim_path(request.home, _try_id(request))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        try:
            return path.read_text(encoding="utf-8").strip() or "an unknown worker"
        except OSError:
            return "an unknown worker"
    except OSError as exc:
        raise RuntimeError(
            f"this Dask worker cannot write to LEGATO_HOME {request.home} ({exc}): workers "
            "must share the scheduler's home (same machine or a shared volume)") from None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(where)
    return None


def run_on_worker(request: TryRequest, token: str) -> TryFinished:
    """The Dask task: run one try on this worker and return its outcome."""
    from distributed import get_worker

    worker = get_worker()
    holder = _claim(request, f"{worker.address} (pid {os.getpid()})")
    if holder is not None:
        return _lost(request, f"the Dask worker running this try ({holder}) was lost; Dask "
                              "rescheduled it, but a try never runs twice: Legato retries it "
                              "as a new try if its retry policy allows")
    _ensure_capture()
    tid = _try_id(request)

    def report(event: TryEvent) -> None:
        if isinstance(event, TryStarted):
            worker.log_event(STARTED_TOPIC, [token, *tid, event.at])

    with _running_lock:
        _running[tid] = (threading.get_ident(), request.timeout_s, time.monotonic())
    try:
        return run_try(request, report)
    finally:
        with _running_lock:
            _running.pop(tid, None)


def raise_timeout_in_try(tid: list[Any]) -> bool:
    """Run on every worker by `cancel`: raise TaskTimeout (past the try's execution_timeout)
    or TryCancelled in the thread running the try."""
    with _running_lock:
        running = _running.get((tid[0], tid[1], int(tid[2]), int(tid[3])))
    if running is None:
        return False
    ident, timeout_s, started = running
    stop = TaskTimeout if past_timeout(timeout_s, started) else TryCancelled
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(stop))
    return True


# -- scheduler side ------------------------------------------------------------------------
class DaskExecutor:
    """Submits tries to a Dask cluster; `address=None` starts a LocalCluster of worker
    processes for trying it out (closed with the executor)."""

    def __init__(self, address: str | None = None, *, n_workers: int | None = None,
                 connect_timeout_s: float | None = None) -> None:
        dask = require("dask", "the Dask executor")
        distributed = require("distributed", "the Dask executor")
        Client, LocalCluster = distributed.Client, distributed.LocalCluster
        as_completed = distributed.as_completed

        self._token = uuid.uuid4().hex[:10]
        self._seq = itertools.count()
        self._queue: queue.SimpleQueue[StreamEvent] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._inflight: dict[str, TryRequest] = {}            # Dask key -> request
        self._keys: dict[TryId, str] = {}
        self._started: dict[TryId, float] = {}
        self._outcomes: OrderedDict[TryId, None] = OrderedDict()
        self._homes: set[str] = set()
        self._closed = False
        self._cluster: Any = None
        if address is None:
            # Our own cluster: a lost worker fails the try at once (KilledWorker) rather than
            # being rescheduled first; the claim guard covers clusters configured otherwise.
            with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
                self._cluster = LocalCluster(
                    n_workers=n_workers or min(os.cpu_count() or 2, 8), processes=True,
                    threads_per_worker=1, dashboard_address=":0")
            address = self._cluster.scheduler_address
        self.address = address
        if connect_timeout_s is None:     # Dask's own setting (DASK_DISTRIBUTED__COMM__...)
            from dask.utils import parse_timedelta

            connect_timeout_s = float(parse_timedelta(
                dask.config.get("distributed.comm.timeouts.connect"), "s") or 30)
        try:
            self._client = Client(address, timeout=connect_timeout_s, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            self._close_cluster()
            raise ExecutorUnavailable(
                f"cannot reach the Dask scheduler at {address} within {connect_timeout_s:g}s: "
                f"{exc}") from None
        self._subscribed_comm: Any = None
        self._subscribe()
        self._done = as_completed(loop=self._client.loop, with_results=True,
                                  raise_errors=False)
        threading.Thread(target=self._collect_loop, daemon=True,
                         name="legato-dask-collector").start()

    # -- events from the cluster ---------------------------------------------------------
    def _subscribe(self) -> None:
        """Subscribe to "started" events, again after the client reconnected to a scheduler
        (a restarted scheduler knows no subscriptions)."""
        comm = self._client.scheduler_comm
        if comm is not None and comm is not self._subscribed_comm:
            self._client.subscribe_topic(STARTED_TOPIC, self._on_started)
            self._subscribed_comm = comm

    def _on_started(self, event: tuple[float, Any]) -> None:
        """Called on the client's event loop for every try start on the cluster."""
        msg = event[1]
        if not isinstance(msg, (list, tuple)) or len(msg) != 6 or msg[0] != self._token:
            return
        tid: TryId = (msg[1], msg[2], int(msg[3]), int(msg[4]))
        with self._lock:
            if tid in self._outcomes or tid not in self._keys:
                return                    # late: its outcome is already delivered
            self._started[tid] = float(msg[5])
            self._queue.put(TryStarted(*tid, at=float(msg[5])))

    def _collect_loop(self) -> None:
        while True:
            with self._wake:
                while not self._inflight and not self._closed:
                    self._wake.wait(1.0)
                if self._closed:
                    return
            try:
                batch = self._done.next_batch(block=True)
            except StopIteration:
                continue
            except Exception:  # the client is going away; shutdown ends us
                log.exception("collecting Dask results failed")
                time.sleep(0.2)
                continue
            for future, value in batch:
                self._deliver(future.key, value)

    def _deliver(self, key: str, value: Any) -> None:
        with self._lock:
            request = self._inflight.pop(key, None)
            if request is None:
                return
            tid = _try_id(request)
            self._keys.pop(tid, None)
            start = self._started.pop(tid, None)
        if isinstance(value, TryFinished):
            outcome = value
        else:
            outcome = _lost(request, self._why_lost(value), start)
        self._release_claim(request)
        with self._lock:
            self._outcomes[tid] = None
            while len(self._outcomes) > _REMEMBERED_OUTCOMES:
                self._outcomes.popitem(last=False)
            self._queue.put(outcome)

    def _why_lost(self, value: Any) -> str:
        if isinstance(value, tuple) and len(value) == 3:      # an errored future: (type, exc, tb)
            value = value[1]
        kind = type(value).__name__
        if kind == "KilledWorker":
            worker = getattr(getattr(value, "last_worker", None), "address", "a worker")
            return (f"the Dask worker running this try died ({worker}); Legato retries it as "
                    "a new try if its retry policy allows")
        if kind in ("CancelledError", "FutureCancelledError"):
            return (f"the connection to the Dask scheduler at {self.address} was lost (or "
                    "the try was cancelled there); Legato retries it as a new try if its "
                    "retry policy allows")
        return f"the Dask cluster could not run the try: {kind}: {value}"

    @staticmethod
    def _release_claim(request: TryRequest) -> None:
        try:
            claim_path(request.home, _try_id(request)).unlink(missing_ok=True)
        except OSError:
            pass

    def _sweep_claims(self, home: str) -> None:
        """Claims outlive a scheduler killed mid-try; drop the ones old enough to be safe."""
        folder = Path(home) / CLAIMS_DIR
        cutoff = time.time() - CLAIM_MAX_AGE_S
        try:
            for path in folder.glob("*.claim"):
                if path.stat().st_mtime < cutoff:
                    path.unlink(missing_ok=True)
        except OSError:
            pass

    # -- the Executor protocol -----------------------------------------------------------
    def submit(self, request: TryRequest) -> None:
        tid = _try_id(request)
        if request.home not in self._homes:
            self._homes.add(request.home)
            self._sweep_claims(request.home)
        if self._closed or self._client.status in ("closing", "closed"):
            self._queue.put(_lost(request, f"the Dask client for {self.address} is closed"))
            return
        key = (f"legato-{request.dag_id}.{request.task_id}-{request.map_index}-"
               f"{request.try_number}-{self._token}{next(self._seq):x}")
        with self._lock:
            self._inflight[key] = request
            self._keys[tid] = key
            self._wake.notify_all()
        try:
            self._subscribe()
            future = self._client.submit(run_on_worker, request, self._token, key=key,
                                         pure=False, retries=0)
            self._done.add(future)
        except Exception as exc:  # noqa: BLE001 - any submit failure is this try's outcome
            self._deliver(key, exc)

    def post(self, event: StreamEvent) -> None:
        """Inject an event (a triggerer finishing a deferred try); safe from any thread."""
        self._queue.put(event)

    def events(self, timeout: float) -> list[StreamEvent]:
        return drain(self._queue, timeout)

    def cancel(self, run_id: str, key: TIKey) -> None:
        """Raise TaskTimeout or TryCancelled in the worker thread running the try (best
        effort, async: a round trip to every worker must not stall the scheduler loop)."""
        with self._lock:
            tids = [t for t in self._keys if t[0] == run_id and (t[1], t[2]) == key]
        for tid in tids:
            threading.Thread(target=self._cancel_remote, args=(list(tid),), daemon=True,
                             name="legato-dask-cancel").start()

    def _cancel_remote(self, tid: list[Any]) -> None:
        try:
            self._client.run(raise_timeout_in_try, tid, on_error="ignore")
        except Exception:  # best effort; the driver abandons the try anyway
            log.warning("could not ask the Dask workers to stop try %s", tid, exc_info=True)

    def shutdown(self) -> None:
        """Close our client (and the LocalCluster we started, if any), never a user's cluster.
        Tries still in flight are released by Dask; a restarted scheduler reaps them."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            pending = list(self._inflight.values())
            self._inflight.clear()
            self._keys.clear()
            self._wake.notify_all()
        try:
            self._client.close(timeout=10)
        except Exception:  # closing a client whose scheduler is gone
            log.warning("closing the Dask client failed", exc_info=True)
        for request in pending:
            self._release_claim(request)
        self._close_cluster()

    def _close_cluster(self) -> None:
        if self._cluster is not None:
            try:
                self._cluster.close(timeout=20)
            except Exception:
                log.warning("closing the local Dask cluster failed", exc_info=True)
            self._cluster = None
