"""The inline executor: runs each try in the calling thread, at submit. For tests and debugging."""

from __future__ import annotations

import threading

from ..runner import run_try
from .base import StreamEvent, TIKey, TryRequest


class InlineExecutor:
    def __init__(self) -> None:
        self._events: list[StreamEvent] = []
        self._cond = threading.Condition()

    def _append(self, event: StreamEvent) -> None:
        with self._cond:
            self._events.append(event)
            self._cond.notify_all()

    def submit(self, request: TryRequest) -> None:
        run_try(request, self._append)

    def post(self, event: StreamEvent) -> None:
        """From any thread (a triggerer finishing a deferred try)."""
        self._append(event)

    def events(self, timeout: float) -> list[StreamEvent]:
        with self._cond:
            if not self._events and timeout > 0:
                self._cond.wait(timeout)
            out, self._events = self._events, []
        return out

    def cancel(self, run_id: str, key: TIKey) -> None:
        """Nothing to cancel: a try has finished by the time submit returns."""

    def shutdown(self) -> None:
        with self._cond:
            self._events.clear()
