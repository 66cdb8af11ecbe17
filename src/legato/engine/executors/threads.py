"""The worker threads of the local executor: daemon threads taking tries from one queue.

Not `concurrent.futures.ThreadPoolExecutor`, for two reasons measured or seen here:
- its threads are joined when the interpreter exits, so a try that was abandoned (its run
  cancelled, its execution_timeout passed: a thread cannot be killed) kept `legato run` or a
  stopping scheduler alive until the task returned on its own; these are daemon threads;
- every submit and every finished item goes through its idle semaphore, which with many
  short tries is where the workers spent a fifth of their time; here a submit is one
  SimpleQueue.put (no Python-level lock), and a thread is added only while work waits.

A thread back from a try leaves a token in `_idle` before it waits for the next; a submit that
finds a token adds no thread. Without it, each try of a chain (whose next try is submitted
while the thread that ran the last one is on its way back) started a new thread, up to the 32
of the default: a fifth of a 100-task chain's time. Stale tokens (a thread back from a try
that finds work already queued) only arise with every thread busy and all allowed started,
when no thread could be added anyway.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

Work = tuple[Callable[[Any], None], Any]


class WorkerThreads:
    def __init__(self, max_workers: int, name: str = "legato-worker") -> None:
        self.max_workers = max(1, max_workers)
        self.name = name
        self._work: queue.SimpleQueue[Work | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle: queue.SimpleQueue[None] = queue.SimpleQueue()   # one token per free thread
        self._grow = threading.Lock()
        self.closed = False

    def submit(self, fn: Callable[[Any], None], arg: Any) -> None:
        self._work.put((fn, arg))
        try:
            self._idle.get_nowait()             # a free thread takes it
        except queue.Empty:
            if len(self._threads) < self.max_workers:
                self._add_thread()

    def _add_thread(self) -> None:
        with self._grow:
            if len(self._threads) >= self.max_workers or self.closed:
                return
            thread = threading.Thread(target=self._loop, daemon=True,
                                      name=f"{self.name}-{len(self._threads)}")
            self._threads.append(thread)
            thread.start()

    def _loop(self) -> None:
        while True:
            item = self._work.get()
            if item is None or self.closed:
                return
            fn, arg = item
            fn(arg)
            self._idle.put(None)

    def shutdown(self) -> None:
        """Drop work not started; idle threads end now, busy ones when their try returns (or
        with the process: they are daemons)."""
        self.closed = True
        for _ in self._threads:
            self._work.put(None)
