"""The triggerer: one daemon thread running one asyncio loop that waits on every deferred
sensor's trigger, so a thousand waiting sensors cost coroutines, not threads or worker slots.

When a trigger fires (or its sensor's deadline passes) the triggerer reports a TryFinished for
the deferred try through `on_done` (the run's executor `post`), so the outcome flows through
the driver's normal path and a stale report is refused like any other.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from .executors.base import Outcome, TryFinished

log = logging.getLogger("legato.triggerer")


class Triggerer:
    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="legato-triggerer", daemon=True)
        self._pending = 0
        self._lock = threading.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    @property
    def pending(self) -> int:
        """How many triggers are being waited on."""
        with self._lock:
            return self._pending

    def add(self, run_id: str, key: tuple[str, int], try_number: int, trigger: Any,
            deadline_epoch: float | None, soft_fail: bool,
            on_done: Callable[[TryFinished], None], *, start: float | None = None,
            log_path: str | None = None, log_text: str | None = None) -> None:
        """Wait on `trigger`; report success, or a timeout at `deadline_epoch`, via `on_done`."""
        with self._lock:
            self._pending += 1
        args = (run_id, key, try_number, trigger, deadline_epoch, soft_fail, on_done,
                time.time() if start is None else start, log_path, log_text)
        self._loop.call_soon_threadsafe(self._spawn, args)

    def _spawn(self, args: tuple[Any, ...]) -> None:
        task = self._loop.create_task(self._wait(*args))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _wait(self, run_id: str, key: tuple[str, int], try_number: int, trigger: Any,
                    deadline_epoch: float | None, soft_fail: bool,
                    on_done: Callable[[TryFinished], None], start: float,
                    log_path: str | None, log_text: str | None) -> None:
        state, error, error_type, retryable = Outcome.SUCCESS, None, None, True
        try:
            timeout = None if deadline_epoch is None else max(0.0, deadline_epoch - time.time())
            await asyncio.wait_for(trigger.wait(), timeout)
        except TimeoutError:
            retryable = False
            if soft_fail:
                state, error, error_type = Outcome.SKIPPED, "sensor timed out", "Skip"
            else:
                state, error, error_type = Outcome.FAILED, "sensor timed out", "SensorTimeout"
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a broken trigger fails its try
            state, error, error_type = Outcome.FAILED, str(exc) or type(exc).__name__, type(exc).__name__
        finally:
            with self._lock:
                self._pending -= 1
        try:
            on_done(TryFinished(run_id, key[0], key[1], try_number, state, start=start,
                                end=time.time(), error=error, error_type=error_type,
                                retryable=retryable, log_path=log_path, log_text=log_text))
        except Exception:  # the executor may be gone
            log.exception("could not report the outcome of deferred %s try %s", key, try_number)


_triggerer: Triggerer | None = None
_lock = threading.Lock()


def get_triggerer() -> Triggerer:
    """The process-wide triggerer, started on first use."""
    global _triggerer
    with _lock:
        if _triggerer is None:
            _triggerer = Triggerer()
        return _triggerer


def started() -> bool:
    return _triggerer is not None
