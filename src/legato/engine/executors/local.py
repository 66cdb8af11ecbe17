"""The local executor: a thread pool (default) or a process pool on this machine.

Threads keep closures, prints and breakpoints working and cost microseconds per try; a
process pool isolates tasks that hold the GIL or may crash the interpreter. Events from
either come back through one queue. A thread cannot be killed, so a timed-out try in thread
mode gets a TaskTimeout raised into it (delivered between bytecodes); the scheduler gives it
a grace period and then fails the try itself, refusing any late report.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import queue
import threading
import time
from concurrent.futures import Executor as _PoolExecutor
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from ..runner import TaskTimeout, run_try
from ..tasklog import install_capture, uninstall_capture, wait_for_log_writes
from .base import TIKey, TryEvent, TryFinished, TryRequest

DEFAULT_WORKERS = 32
_events_q: Any = None


def _process_init(events: Any) -> None:
    global _events_q
    _events_q = events


def _run_in_process(request: TryRequest) -> None:
    run_try(request, _events_q.put)


class LocalExecutor:
    def __init__(self, max_workers: int | None = None, mode: str = "thread") -> None:
        if mode not in ("thread", "process"):
            raise ValueError(f"local executor mode must be 'thread' or 'process', not {mode!r}")
        self.mode = mode
        workers = max_workers or (DEFAULT_WORKERS if mode == "thread" else os.cpu_count() or 2)
        self._pool: _PoolExecutor
        if mode == "thread":
            self._queue: Any = queue.SimpleQueue()
            self._pool = ThreadPoolExecutor(workers, thread_name_prefix="legato-worker")
            install_capture()
        else:
            self._ctx = multiprocessing.get_context("spawn")
            self._queue = self._ctx.Queue()
            self._workers = workers
            self._pool = self._new_process_pool()
        self._threads: dict[tuple[str, TIKey], int] = {}
        self._lock = threading.Lock()
        self._closed = False

    def _new_process_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self._workers, mp_context=self._ctx,
                                   initializer=_process_init, initargs=(self._queue,))

    def _report_if_lost(self, future: Future[None], request: TryRequest,
                        pool: ProcessPoolExecutor) -> None:
        """A worker process that died (killed, segfault, os._exit) takes its try with it:
        report the try as lost so the scheduler retries it, and replace a broken pool."""
        if future.cancelled() or future.exception() is None:
            return
        exc = future.exception()
        now = time.time()
        self._queue.put(TryFinished(
            request.run_id, request.task_id, request.map_index, request.try_number, "failed",
            start=now, end=now, error=f"the worker process died: {exc!r}", error_type="TryLost"))
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
            future.add_done_callback(lambda f, r=request, p=pool: self._report_if_lost(f, r, p))

    def post(self, event: TryEvent) -> None:
        """Inject an event (a triggerer finishing a deferred try); safe from any thread."""
        self._queue.put(event)

    def events(self, timeout: float) -> list[TryEvent]:
        try:
            out = [self._queue.get(timeout=max(timeout, 0.0))]
        except queue.Empty:
            return []
        while True:
            try:
                out.append(self._queue.get_nowait())
            except queue.Empty:
                return out

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
