"""The inline executor: runs each try in the calling thread, at submit. For tests and debugging."""

from __future__ import annotations

from ..runner import run_try
from .base import TIKey, TryEvent, TryRequest


class InlineExecutor:
    def __init__(self) -> None:
        self._events: list[TryEvent] = []

    def submit(self, request: TryRequest) -> None:
        run_try(request, self._events.append)

    def events(self, timeout: float) -> list[TryEvent]:
        out, self._events = self._events, []
        return out

    def cancel(self, run_id: str, key: TIKey) -> None:
        """Nothing to cancel: a try has finished by the time submit returns."""

    def shutdown(self) -> None:
        self._events.clear()
