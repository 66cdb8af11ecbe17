"""The local executor: a thread pool (default) or a process pool on this machine.

Threads keep closures, prints and breakpoints working and cost microseconds per try; a
process pool isolates tasks that hold the GIL or may crash the interpreter. Events from
either come back through one queue. A thread cannot be killed, so a timed-out try in thread
mode gets a TaskTimeout raised into it (delivered between bytecodes; TryCancelled when it is
cancelled for another reason); the scheduler gives it a grace period and then fails the try
itself, refusing any late report.

Process mode is procpool.ProcessPool: one supervised worker process per slot, so a worker
that dies (or freezes: LEGATO_WORKER_HEARTBEAT_S) costs only its own try, reported lost, and
`cancel` kills a try that does not stop.
"""

from __future__ import annotations

import ctypes
import os
import queue
import threading
import time

from ..runner import TaskTimeout, run_try
from ..tasklog import install_capture, uninstall_capture
from .base import StreamEvent, TIKey, TryCancelled, TryRequest, drain, past_timeout
from .threads import WorkerThreads

DEFAULT_WORKERS = 32


class LocalExecutor:
    def __init__(self, max_workers: int | None = None, mode: str = "thread",
                 heartbeat_s: float | None = None) -> None:
        """`heartbeat_s` (process mode): a worker silent and idle that long is frozen and
        killed; default LEGATO_WORKER_HEARTBEAT_S, 0 turns the watch off."""
        if mode not in ("thread", "process"):
            raise ValueError(f"local executor mode must be 'thread' or 'process', not {mode!r}")
        self.mode = mode
        workers = max_workers or (DEFAULT_WORKERS if mode == "thread" else os.cpu_count() or 2)
        self._queue: queue.SimpleQueue[StreamEvent] = queue.SimpleQueue()
        self._threads: dict[tuple[str, TIKey], tuple[int, float | None, float]] = {}
        self._closed = False
        if mode == "thread":
            self._pool = WorkerThreads(workers)
            install_capture()
        else:
            from ...config import worker_heartbeat_s
            from .procpool import ProcessPool

            beat = worker_heartbeat_s() if heartbeat_s is None else heartbeat_s
            self._procs = ProcessPool(workers, self._queue.put, beat)

    def _run_in_thread(self, request: TryRequest) -> None:
        slot = (request.run_id, request.key)
        # One dict store and one pop, each atomic under the GIL: a lock here was contended by
        # every worker thread twice per try (a convoy that tripled fan-out-10k times).
        self._threads[slot] = (threading.get_ident(), request.timeout_s, time.monotonic())
        try:
            run_try(request, self._queue.put)
        finally:
            self._threads.pop(slot, None)

    def submit(self, request: TryRequest) -> None:
        if self.mode == "thread":
            self._pool.submit(self._run_in_thread, request)
        else:
            self._procs.submit(request)

    def post(self, event: StreamEvent) -> None:
        """Inject an event (a triggerer finishing a deferred try); safe from any thread."""
        self._queue.put(event)

    def events(self, timeout: float) -> list[StreamEvent]:
        return drain(self._queue, timeout)

    def cancel(self, run_id: str, key: TIKey) -> None:
        """Threads: raise TaskTimeout (past the try's execution_timeout) or TryCancelled in
        the try's thread. Processes: the same through a signal, then the worker is killed if
        the try has not stopped within a second."""
        if self.mode == "process":
            self._procs.cancel(run_id, key)
            return
        running = self._threads.get((run_id, key))
        if running is not None:
            ident, timeout_s, started = running
            stop = TaskTimeout if past_timeout(timeout_s, started) else TryCancelled
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident),
                                                       ctypes.py_object(stop))

    def shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.mode == "thread":
            self._pool.shutdown()
            uninstall_capture()
        else:
            self._procs.shutdown()
