"""The local executor: a thread pool (default) or a process pool on this machine.

Threads keep closures, prints and breakpoints working and cost microseconds per try; a
process pool isolates tasks that hold the GIL or may crash the interpreter. Events from
either come back through one queue. A thread cannot be killed, so a timed-out try in thread
mode gets a TaskTimeout raised into it (delivered between bytecodes); the scheduler gives it
a grace period and then fails the try itself, refusing any late report.

In process mode a try's outcome travels back as the pool future's result, never through a
shared multiprocessing queue: a worker killed while writing to such a queue leaves its write
lock held forever, and every later writer would hang. Only the best-effort "started" events
use a queue, one per pool (a broken pool's queue is abandoned with it), and a "started" that
arrives after its try's outcome is dropped.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import queue
import threading
import time
from collections import OrderedDict
from concurrent.futures import Executor as _PoolExecutor
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from ..runner import TaskTimeout, run_try
from ..tasklog import install_capture, uninstall_capture, wait_for_log_writes
from .base import TIKey, TryEvent, TryFinished, TryRequest, TryStarted, drain

DEFAULT_WORKERS = 32
_REMEMBERED_OUTCOMES = 10_000
_started_q: Any = None
TryId = tuple[str, str, int, int]


def _process_init(started: Any) -> None:
    global _started_q
    _started_q = started
    started.cancel_join_thread()      # exiting never waits on a queue a dead sibling may hold


def _run_in_process(request: TryRequest) -> list[TryEvent]:
    """Runs in the worker process; the outcome is the return value (see the module docstring)."""
    outcome: list[TryEvent] = []

    def report(event: TryEvent) -> None:
        if isinstance(event, TryStarted):
            _started_q.put(event)
        else:
            outcome.append(event)

    run_try(request, report)
    return outcome


def _try_id(event: TryStarted | TryFinished) -> TryId:
    return (event.run_id, event.task_id, event.map_index, event.try_number)


class LocalExecutor:
    def __init__(self, max_workers: int | None = None, mode: str = "thread") -> None:
        if mode not in ("thread", "process"):
            raise ValueError(f"local executor mode must be 'thread' or 'process', not {mode!r}")
        self.mode = mode
        workers = max_workers or (DEFAULT_WORKERS if mode == "thread" else os.cpu_count() or 2)
        self._pool: _PoolExecutor
        self._queue: queue.SimpleQueue[TryEvent] = queue.SimpleQueue()
        self._threads: dict[tuple[str, TIKey], int] = {}
        self._lock = threading.Lock()
        self._closed = False
        if mode == "thread":
            self._pool = ThreadPoolExecutor(workers, thread_name_prefix="legato-worker")
            install_capture()
        else:
            self._ctx = multiprocessing.get_context("spawn")
            self._workers = workers
            self._outcomes: OrderedDict[TryId, None] = OrderedDict()
            self._pool = self._new_process_pool()

    def _new_process_pool(self) -> ProcessPoolExecutor:
        started = self._started_q = self._ctx.Queue()
        threading.Thread(target=self._pump_started, args=(started,), daemon=True,
                         name="legato-started-pump").start()
        return ProcessPoolExecutor(self._workers, mp_context=self._ctx,
                                   initializer=_process_init, initargs=(started,))

    def _pump_started(self, started: Any) -> None:
        """Forward a pool's "started" events until the pool is replaced or closed."""
        while not self._closed and self._started_q is started:
            try:
                event = started.get(timeout=0.2)
            except queue.Empty:
                continue
            except (EOFError, OSError):
                return
            with self._lock:
                if _try_id(event) not in self._outcomes:
                    self._queue.put(event)

    def _deliver_outcome(self, events: list[TryEvent]) -> None:
        with self._lock:
            for event in events:
                self._outcomes[_try_id(event)] = None
                self._queue.put(event)
            while len(self._outcomes) > _REMEMBERED_OUTCOMES:
                self._outcomes.popitem(last=False)

    def _collect_outcome(self, future: Future[list[TryEvent]], request: TryRequest,
                        pool: ProcessPoolExecutor) -> None:
        """Deliver a try's outcome. A worker process that died (killed, segfault, os._exit)
        takes its try with it: report the try as lost so the scheduler retries it, and
        replace the broken pool."""
        if future.cancelled():
            return
        exc = future.exception()
        if exc is None:
            self._deliver_outcome(future.result())
            return
        now = time.time()
        self._deliver_outcome([TryFinished(
            request.run_id, request.task_id, request.map_index, request.try_number, "failed",
            start=now, end=now, error_type="TryLost",
            error=(f"the worker process died: {exc!r}" if isinstance(exc, BrokenProcessPool)
                   else f"the worker could not run the try: {exc!r}"))])
        if isinstance(exc, BrokenProcessPool):
            with self._lock:
                if self._pool is pool and not self._closed:
                    self._pool = self._new_process_pool()

    def _run_in_thread(self, request: TryRequest) -> None:
        slot = (request.run_id, request.key)
        with self._lock:
            self._threads[slot] = threading.get_ident()
        try:
            run_try(request, self._queue.put)
        finally:
            with self._lock:
                self._threads.pop(slot, None)

    def submit(self, request: TryRequest) -> None:
        if self.mode == "thread":
            self._pool.submit(self._run_in_thread, request)
        else:
            with self._lock:
                pool = self._pool
            future = pool.submit(_run_in_process, request)
            future.add_done_callback(lambda f, r=request, p=pool: self._collect_outcome(f, r, p))

    def post(self, event: TryEvent) -> None:
        """Inject an event (a triggerer finishing a deferred try); safe from any thread."""
        self._queue.put(event)

    def events(self, timeout: float) -> list[TryEvent]:
        return drain(self._queue, timeout)

    def cancel(self, run_id: str, key: TIKey) -> None:
        with self._lock:
            ident = self._threads.get((run_id, key))
        if ident is not None:
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(ident), ctypes.py_object(TaskTimeout))

    def shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.mode == "thread":
            self._pool.shutdown(wait=False, cancel_futures=True)
            wait_for_log_writes()
            uninstall_capture()
        else:
            self._pool.shutdown(wait=True, cancel_futures=True)
