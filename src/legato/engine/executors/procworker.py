"""One worker process of the local process pool (procpool.py): it runs one try at a time for
its parent, over a socket of its own.

Why a socket per worker rather than a pool's shared queue: a worker that dies (killed, out of
memory, a segfault in a C extension) can only break its own socket, so its siblings and
their tries are untouched, and the parent knows exactly which try died with it.

The protocol is pickled messages framed by an 8-byte length (`send_msg` / `recv_msg`, used
by both sides). Parent to worker: a hello (`{"sys_path": [...], "beat_s": float}`), then
TryRequest objects, then None (stop). Worker to parent: TryStarted, BEAT while a try runs,
and the try's TryFinished. SIGUSR1 asks the running try to stop: TryCancelled is raised in it
while the task's own code runs (never in its callbacks, nor while its outcome is sent; past
its execution_timeout the runner's own SIGALRM has raised TaskTimeout already). The worker exits when
its parent dies (it would run a try nobody records, beside the retry a restarted scheduler
makes). SIGUSR1 is the cancel signal (SIGTERM keeps its default: from anyone else it ends the
worker, and the parent reports its try lost).

Started as `python -m legato.engine.executors.procworker FD` (not multiprocessing's spawn, which
re-runs the parent's `__main__` script in every child), with the parent's `sys.path`.
"""

from __future__ import annotations

import os
import pickle
import signal
import socket
import struct
import sys
import threading
import time
from typing import Any

BEAT = "beat"
_HEADER = struct.Struct("!Q")


class WorkerGone(ConnectionError):
    """The other end closed the socket (or sent half a message and went away)."""


def send_msg(sock: socket.socket, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(_HEADER.pack(len(data)) + data)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise WorkerGone("the socket was closed")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def recv_msg(sock: socket.socket) -> Any:
    (size,) = _HEADER.unpack(_recv_exact(sock, _HEADER.size))
    return pickle.loads(_recv_exact(sock, size))


class _Worker:
    """The state the main thread, the beat thread and the cancel handler share."""

    def __init__(self, sock: socket.socket, beat_s: float) -> None:
        self.sock = sock
        self.beat_s = beat_s
        self.parent = os.getppid()
        self.lock = threading.Lock()
        self.request: Any = None          # the try being run
        self.started = 0.0
        self.in_task = False              # the task's own code may be running: a cancel raises
        self.finished = False             # this try's TryFinished was sent

    def send(self, obj: Any) -> None:
        with self.lock:
            send_msg(self.sock, obj)

    def report(self, event: Any) -> None:
        """run_try's report callback: the window between TryStarted and TryFinished is the
        only one in which a cancel raises into the try."""
        from .base import TryStarted

        if isinstance(event, TryStarted):
            self.send(event)
            self.in_task = True
            return
        self.in_task = False
        self.finished = True
        self.send(event)

    def on_cancel(self, signum: int, frame: Any) -> None:
        """SIGUSR1: raise TryCancelled into the task's own code, if it is running now (the
        runner sets the task context only around the call: never into its callbacks, its
        log or its report). A try past its execution_timeout is left to the runner's own
        SIGALRM (raising twice would escape the runner); the parent kills the worker if the
        try has not stopped after its grace period."""
        from ...authoring.context import current_context
        from .base import TryCancelled, past_timeout

        req = self.request
        if req is None or not self.in_task or current_context() is None:
            return
        if past_timeout(req.timeout_s, self.started):
            return
        self.in_task = False              # one raise per cancel
        raise TryCancelled()

    def beat_loop(self) -> None:
        # Signals for the try (the runner's SIGALRM timeout, a cancel) must reach the main
        # thread: one delivered to this thread would not interrupt a blocking call there.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM, signal.SIGUSR1,
                                                  signal.SIGTERM, signal.SIGINT})
        while True:
            time.sleep(self.beat_s)
            if os.getppid() != self.parent:
                os._exit(3)               # orphaned: the parent died
            if self.request is not None:
                try:
                    self.send(BEAT)
                except OSError:
                    os._exit(3)


def _run_one(worker: _Worker, request: Any) -> None:
    from ..runner import run_try
    from .base import Outcome, TryCancelled, TryFinished

    worker.request, worker.started, worker.finished = request, time.monotonic(), False
    try:
        run_try(request, worker.report)
    except (Exception, TryCancelled) as exc:  # noqa: BLE001 - a cancel landed after the task's code
        worker.in_task = False
        if worker.finished:
            return
        now = time.time()
        worker.send(TryFinished(request.run_id, request.task_id, request.map_index,
                                request.try_number, Outcome.FAILED, start=now, end=now,
                                error=f"{type(exc).__name__}: {exc}",
                                error_type=type(exc).__name__))
    finally:
        worker.request = None


def serve(fd: int) -> None:
    sock = socket.socket(fileno=fd)
    hello = recv_msg(sock)
    sys.path[:] = [*hello["sys_path"], *(p for p in sys.path if p not in hello["sys_path"])]
    from ..tasklog import install_capture

    install_capture()                     # a try's prints go to its log, as with threads
    worker = _Worker(sock, float(hello["beat_s"]))
    signal.signal(signal.SIGUSR1, worker.on_cancel)
    threading.Thread(target=worker.beat_loop, daemon=True, name="legato-beat").start()
    while True:
        try:
            request = recv_msg(sock)
        except (WorkerGone, OSError):
            return
        if request is None:
            return
        _run_one(worker, request)


if __name__ == "__main__":
    serve(int(sys.argv[1]))
