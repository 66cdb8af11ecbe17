"""Executors: where task tries run. `make_executor` maps a name to one."""

from __future__ import annotations

from .base import Executor, TryEvent, TryFinished, TryRequest, TryStarted


def make_executor(name: str, max_workers: int | None = None) -> Executor:
    """`inline`, `local` (threads), `local:process`, or `process` (same as local:process)."""
    if name == "inline":
        from .inline import InlineExecutor

        return InlineExecutor()
    if name in ("local", "thread", "local:thread"):
        from .local import LocalExecutor

        return LocalExecutor(max_workers, "thread")
    if name in ("process", "local:process"):
        from .local import LocalExecutor

        return LocalExecutor(max_workers, "process")
    raise ValueError(f"unknown executor {name!r}: use inline, local or local:process")


__all__ = ["Executor", "TryEvent", "TryFinished", "TryRequest", "TryStarted", "make_executor"]
