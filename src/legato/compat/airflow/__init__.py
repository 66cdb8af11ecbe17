"""Airflow DAG files, unchanged, on Legato: `serving()` makes `import airflow...` resolve here.

The real Airflow package is neither needed nor imported. While a `serving()` block is open
(the loader opens one around each DAG file, the runner one around each task call), a
meta-path finder answers the `airflow` names Legato supports (see `tree.py`) from
`legato.compat.airflow`'s modules; when the last block closes, those names leave
`sys.modules` again and any real `airflow` modules that were there come back, so other
code in the process is never handed Legato's stand-ins. The block is re-entrant and
thread-safe (a counter under a lock). This module stays light: the served tree is imported
on the first `import airflow` inside a block.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

__all__ = ["serving"]

_lock = threading.RLock()
_depth = 0
_finder: Any = None
_saved: dict[str, ModuleType] = {}       # real airflow modules set aside while serving


def _is_airflow(name: str) -> bool:
    return name == "airflow" or name.startswith("airflow.")


def _enter() -> None:
    global _depth, _finder
    with _lock:
        _depth += 1
        if _depth > 1:
            return
        from .hook import AirflowFinder, served_modules

        for name in [n for n in sys.modules if _is_airflow(n)]:
            _saved[name] = sys.modules.pop(name)
        sys.modules.update(served_modules())
        _finder = AirflowFinder()
        sys.meta_path.insert(0, _finder)


def _exit() -> None:
    global _depth, _finder
    with _lock:
        _depth -= 1
        if _depth > 0:
            return
        from .hook import forget_served

        if _finder in sys.meta_path:
            sys.meta_path.remove(_finder)
        _finder = None
        forget_served({n: sys.modules.pop(n) for n in [m for m in sys.modules if _is_airflow(m)]})
        sys.modules.update(_saved)
        _saved.clear()


@contextmanager
def serving(module: ModuleType | None = None) -> Iterator[None]:
    """Serve the `airflow` import names for the duration of the block.

    With `module` (a DAG file's module being executed), DAGs that the file created without
    binding them to a name (Airflow registers those automatically) are bound in the module
    when the block ends, so the loader finds them."""
    _enter()
    mark = None
    if module is not None:
        from .registry import begin_file

        mark = begin_file()
    try:
        yield
    finally:
        try:
            if module is not None:
                from .registry import end_file

                end_file(mark, module)
        finally:
            _exit()
