"""The worker threads of the local executor: daemon threads taking tries from one queue.

Not `concurrent.futures.ThreadPoolExecutor`, for two reasons measured or seen here:
- its threads are joined when the interpreter exits, so a try that was abandoned (its run
  cancelled, its execution_timeout passed: a thread cannot be killed) kept `legato run` or a
  stopping scheduler alive until the task returned on its own; these are daemon threads;
- every submit and every finished item goes through its idle semaphore, which with many
  short tries is where the workers spent a fifth of their time; here a submit is one
  SimpleQueue.put (no Python-level lock), and a thread is added only while work waits.
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
        self._grow = threading.Lock()
        self.closed = False

    def submit(self, fn: Callable[[Any], None], arg: Any) -> None:
        self._work.put((fn, arg))
        if len(self._threads) < self.max_workers and self._work.qsize() > 0:
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

    def shutdown(self) -> None:
        """Drop work not started; idle threads end now, busy ones when their try returns (or
        with the process: they are daemons)."""
        self.closed = True
        for _ in self._threads:
            self._work.put(None)
