"""The local process pool: worker processes that each run one try at a time, supervised one by
one, so a worker's death costs its own try and nothing else.

concurrent.futures' ProcessPoolExecutor marks the whole pool broken when one worker dies, and
every try in flight in its healthy siblings is lost with it. Here each worker has a slot: a
thread of this process that owns the worker's socket, hands it the next queued try, forwards
its events and watches it. When a worker dies its slot reports that try lost (`TryLost`, so
the retry policy decides), starts a replacement at once (the pool stays warm) and goes on;
the other slots never notice.

A slot also watches for a frozen worker (stopped by SIGSTOP, deadlocked): a worker running a
try sends a heartbeat every `beat_s`; one that has neither beaten nor used CPU time for
`heartbeat_s` seconds is killed and its try reported lost. CPU time counts as life so that a
task holding the GIL in C code (which also stops the heartbeat thread) is not taken for dead.

`cancel` stops a try: SIGUSR1 raises TryCancelled inside it (the try then reports its own
failure; past its execution_timeout the runner's SIGALRM has raised TaskTimeout), sent again
every POLL_S while the try runs on (a signal landing before the task's own code has begun is
ignored by the worker); if it has not finished CANCEL_GRACE_S later, its worker's process group (the task's
own child processes included) is killed and the try is reported failed: `TaskTimeout` when
its execution_timeout had passed, else `TryCancelled` (not retried). A try still waiting for
a worker is dropped and reported `TryCancelled` at once.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from .base import Outcome, TIKey, TryEvent, TryFinished, TryRequest, TryStarted
from .procworker import BEAT, WorkerGone, recv_msg, send_msg

log = logging.getLogger("legato.executors.process")

CANCEL_GRACE_S = 1.0          # a cancelled try that has not stopped by then is killed
POLL_S = 0.25                 # how often a busy slot looks at its cancel and heartbeat clocks
STOP_WAIT_S = 2.0             # a stopping worker gets this long to exit before it is killed
TryId = tuple[str, str, int, int]


def try_id(x: TryRequest | TryStarted | TryFinished) -> TryId:
    return (x.run_id, x.task_id, x.map_index, x.try_number)


def failed(request: TryRequest, error_type: str, error: str, *, start: float | None = None,
           retryable: bool = True) -> TryFinished:
    now = time.time()
    return TryFinished(request.run_id, request.task_id, request.map_index, request.try_number,
                       Outcome.FAILED, start=start or now, end=now, error=error,
                       error_type=error_type, retryable=retryable)


def cpu_ticks(pid: int) -> int | None:
    """User + system CPU time of `pid` in clock ticks (Linux /proc); None where unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None


def describe_exit(code: int | None) -> str:
    if code is None:
        return "is gone"
    if code < 0:
        try:
            return f"was killed by signal {-code} ({signal.Signals(-code).name})"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


class _Process:
    """One worker process and this side of its socket."""

    def __init__(self, beat_s: float) -> None:
        ours, theirs = socket.socketpair()
        try:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "legato.engine.executors.procworker", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),), start_new_session=True, close_fds=True)
        finally:
            theirs.close()
        self.sock = ours
        self.pid = self.popen.pid
        send_msg(ours, {"sys_path": list(sys.path), "beat_s": beat_s})

    def readable(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.sock], [], [], max(timeout, 0.0))
        return bool(ready)

    def signal(self, signum: int) -> None:
        try:
            os.kill(self.pid, signum)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        """SIGKILL the worker and everything it started (it leads its own process group)."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            self.signal(signal.SIGKILL)
        self.reap()

    def reap(self, timeout: float = 5.0) -> int | None:
        try:
            code = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self.sock.close()
        return code

    def stop(self) -> None:
        """Ask an idle worker to exit; kill it if it does not."""
        try:
            send_msg(self.sock, None)
        except OSError:
            pass
        if self.reap(STOP_WAIT_S) is None:
            self.kill()


class _Slot:
    """One worker's supervisor: takes queued tries, one at a time, and sees each to an outcome."""

    def __init__(self, pool: ProcessPool, number: int) -> None:
        self.pool = pool
        self.proc: _Process | None = None
        self.request: TryRequest | None = None
        self.cancel_at: float | None = None
        self.started: float | None = None      # when the current try reported its start
        self.thread = threading.Thread(target=self._loop, daemon=True,
                                       name=f"legato-proc-slot-{number}")

    def _loop(self) -> None:
        try:
            while (request := self.pool.take(self)) is not None:
                try:
                    self._run(request)
                finally:
                    self.pool.release(self, request)
        finally:
            if self.proc is not None:
                self.proc.stop()

    def _start(self) -> _Process:
        if self.proc is None:
            self.proc = _Process(self.pool.beat_s)
            self.proc.sock.settimeout(self.pool.heartbeat_s or None)   # a send never hangs
        return self.proc

    def _replace(self, proc: _Process) -> None:
        """The worker is dead (or was killed): a new one takes its place now, warm for the
        next try."""
        self.proc = None
        if not self.pool.closed:
            try:
                self._start()
            except OSError as exc:
                log.error("could not start a replacement worker process: %s", exc)

    def _run(self, request: TryRequest) -> None:
        proc = self._hand_over(request)
        if proc is not None:
            self._watch(proc, request)

    def _hand_over(self, request: TryRequest) -> _Process | None:
        """Send the try to this slot's worker. A worker that died while idle (or cannot take
        the message) has not started the try: a new worker gets it, once."""
        why = ""
        for _ in range(2):
            try:
                proc = self._start()
            except OSError as exc:
                self.pool.deliver(failed(request, "TryLost", f"could not start a worker "
                                         f"process: {exc}"))
                return None
            try:
                if proc.popen.poll() is None:
                    send_msg(proc.sock, request)
                    return proc
                why = describe_exit(proc.popen.returncode) + " while idle"
            except OSError as exc:
                why = f"could not be handed the try ({exc})"
            except Exception as exc:  # noqa: BLE001 - pickling the request failed: no retry helps
                self.pool.deliver(failed(request, type(exc).__name__, f"the try could not be "
                                         f"sent to a worker process: {exc}", retryable=False))
                return None
            log.warning("worker process %s %s; starting another", proc.pid, why)
            proc.kill()
            self.proc = None
        self.pool.deliver(failed(request, "TryLost", f"no worker process could take the try: "
                                 f"the last one {why}"))
        return None

    def _watch(self, proc: _Process, request: TryRequest) -> None:
        """Forward the try's events until its outcome, its worker's death, a frozen worker or
        the end of a cancel's grace period."""
        alive_at, ticks = time.monotonic(), cpu_ticks(proc.pid)
        while True:
            if proc.readable(POLL_S):
                msg = self._receive(proc, request)
                if msg is None:
                    return
                alive_at = time.monotonic()
                if msg == BEAT or try_id(msg) != try_id(request):
                    continue
                self.pool.deliver(msg)
                if isinstance(msg, TryFinished):
                    return
                self.started = msg.at
                if self.cancel_at is not None:
                    proc.signal(signal.SIGUSR1)        # cancelled before it started
                continue
            now = time.monotonic()
            if self.cancel_at is not None and now - self.cancel_at >= CANCEL_GRACE_S:
                self._kill_cancelled(proc, request)
                return
            if self.cancel_at is not None and self.started is not None:
                # again: the worker ignores one that lands before the task's own code has
                # begun (a cancel sent just after its TryStarted)
                proc.signal(signal.SIGUSR1)
            if self.pool.heartbeat_s and now - alive_at >= self.pool.heartbeat_s:
                current = cpu_ticks(proc.pid)
                if current is not None and current != ticks:
                    alive_at, ticks = now, current       # busy in C code, not frozen
                    continue
                proc.kill()
                self._lost(proc, request, f"stopped responding: no heartbeat and no CPU time for "
                           f"{self.pool.heartbeat_s:g}s (frozen, e.g. by SIGSTOP); it was killed")
                return

    def _receive(self, proc: _Process, request: TryRequest) -> Any:
        """The worker's next message, or None once its death is reported."""
        try:
            return recv_msg(proc.sock)
        except TimeoutError:
            proc.kill()
            self._lost(proc, request, "stopped in the middle of a message and was killed")
        except (WorkerGone, ConnectionError):
            code = proc.reap()
            if code is None:
                proc.kill()
            self._lost(proc, request, describe_exit(code))
        except Exception as exc:  # noqa: BLE001 - an unreadable message: the stream is not to be trusted
            proc.kill()
            self._lost(proc, request, f"sent an unreadable message ({exc!r}) and was killed")
        return None

    def _lost(self, proc: _Process, request: TryRequest, how: str) -> None:
        log.warning("worker process %s running %s.%s try %s %s", proc.pid, request.dag_id,
                    request.task_id, request.try_number, how)
        self.pool.deliver(failed(request, "TryLost", f"the worker process (pid {proc.pid}) {how}; "
                                 f"Legato retries the task as a new try if its retry policy allows",
                                 start=self.started))
        self._replace(proc)

    def _kill_cancelled(self, proc: _Process, request: TryRequest) -> None:
        proc.kill()
        started = self.started
        timeout = request.timeout_s
        if timeout is not None and started is not None and time.time() - started >= timeout:
            outcome = failed(request, "TaskTimeout", f"execution_timeout of {timeout:g}s exceeded; "
                             f"the try did not stop and its worker process was killed", start=started)
        else:
            outcome = failed(request, "TryCancelled", f"the try was cancelled; it did not stop "
                             f"within {CANCEL_GRACE_S:g}s and its worker process was killed",
                             start=started, retryable=False)
        self.pool.deliver(outcome)
        self._replace(proc)


class ProcessPool:
    """Up to `max_workers` worker processes, started as tries need them; `deliver` receives
    every event (from the slot threads). `heartbeat_s` 0 turns the frozen-worker watch off."""

    def __init__(self, max_workers: int, deliver: Callable[[TryEvent], None],
                 heartbeat_s: float) -> None:
        self.max_workers = max(1, max_workers)
        self.deliver = deliver
        self.heartbeat_s = heartbeat_s
        self.beat_s = max(0.05, min(1.0, heartbeat_s / 5)) if heartbeat_s else 1.0
        self.closed = False
        self._cond = threading.Condition()
        self._pending: deque[TryRequest] = deque()
        self._slots: list[_Slot] = []
        self._idle = 0
        self._running: dict[TryId, _Slot] = {}

    def submit(self, request: TryRequest) -> None:
        with self._cond:
            if self.closed:
                self.deliver(failed(request, "TryLost", "the process pool is shut down"))
                return
            self._pending.append(request)
            if len(self._pending) > self._idle and len(self._slots) < self.max_workers:
                slot = _Slot(self, len(self._slots))
                self._slots.append(slot)
                slot.thread.start()
            self._cond.notify()

    def take(self, slot: _Slot) -> TryRequest | None:
        """The next queued try for `slot` (blocking); None when the pool closes."""
        with self._cond:
            self._idle += 1
            while not self._pending and not self.closed:
                self._cond.wait()
            self._idle -= 1
            if self.closed:
                return None
            request = self._pending.popleft()
            slot.request, slot.cancel_at, slot.started = request, None, None
            self._running[try_id(request)] = slot
            return request

    def release(self, slot: _Slot, request: TryRequest) -> None:
        with self._cond:
            self._running.pop(try_id(request), None)
            slot.request, slot.cancel_at = None, None

    def cancel(self, run_id: str, key: TIKey) -> None:
        with self._cond:
            for request in [r for r in self._pending if (r.run_id, r.key) == (run_id, key)]:
                self._pending.remove(request)
                self.deliver(failed(request, "TryCancelled", "the try was cancelled before it "
                                    "started", retryable=False))
            for tid, slot in self._running.items():
                if (tid[0], (tid[1], tid[2])) == (run_id, key) and slot.cancel_at is None:
                    slot.cancel_at = time.monotonic()
                    if slot.proc is not None and slot.started is not None:
                        slot.proc.signal(signal.SIGUSR1)    # else once it starts (_watch)

    def shutdown(self) -> None:
        """Drop the queued tries and stop every worker: an idle one is asked to exit, a busy
        one is killed with its try, as its parent's exit would (a stopping scheduler leaves
        the runs of those tries to the next one, which retries them). Returns once every
        slot has ended."""
        with self._cond:
            self.closed = True
            self._pending.clear()
            self._cond.notify_all()
            slots = list(self._slots)
            busy = [slot.proc for slot in self._running.values() if slot.proc is not None]
        for proc in busy:
            proc.kill()
        for slot in slots:
            slot.thread.join()

    def worker_pids(self) -> list[int]:
        """The pids of the live worker processes (for tests and diagnostics)."""
        with self._cond:
            return [s.proc.pid for s in self._slots if s.proc is not None]
