"""Executors: where task tries run. `make_executor` maps a name to one."""

from __future__ import annotations

from .base import Executor, TryEvent, TryFinished, TryRequest, TryStarted


def make_executor(name: str, max_workers: int | None = None) -> Executor:
    """`inline`, `local` (threads), `local:process`, `process` (same as local:process),
    `dask://host:port` (an existing Dask cluster; max_workers is the cluster's business) or
    `dask` (a local Dask cluster of max_workers worker processes, started and closed here)."""
    if name == "inline":
        from .inline import InlineExecutor

        return InlineExecutor()
    if name in ("local", "thread", "local:thread"):
        from .local import LocalExecutor

        return LocalExecutor(max_workers, "thread")
    if name in ("process", "local:process"):
        from .local import LocalExecutor

        return LocalExecutor(max_workers, "process")
    if name == "dask":
        from .dask import DaskExecutor

        return DaskExecutor(None, n_workers=max_workers)
    if name.startswith("dask"):
        from .dask import DaskExecutor, parse_address

        return DaskExecutor(parse_address(name))
    raise ValueError(f"unknown executor {name!r}: use inline, local, local:process, "
                     "dask://host:port or dask")


__all__ = ["Executor", "TryEvent", "TryFinished", "TryRequest", "TryStarted", "make_executor"]
