"""DAGs an Airflow file creates without naming them, and the notes its loading produced.

Airflow registers every DAG a file creates (`my_dag()` at module level, `with DAG(...):`
without `as`); Legato's loader collects the DAGs bound in the module's globals. While a file
loads, each compat DAG adds itself here, and `end_file` binds the unnamed ones in the module.
Notes (deprecated spellings, default_args keys without effect) are logged once each and kept
for `legato airflow check`.
"""

from __future__ import annotations

import logging
import threading
from types import ModuleType
from typing import Any

log = logging.getLogger("legato.airflow")
_local = threading.local()
_lock = threading.Lock()
_noted: set[tuple[str, str]] = set()
_notes: list[tuple[str, str]] = []


def _stack() -> list[list[Any]]:
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


def begin_file() -> int:
    """Start collecting the DAGs created by the file about to be executed."""
    _stack().append([])
    return len(_stack())


def register(dag: Any) -> None:
    stack = _stack()
    if stack:
        stack[-1].append(dag)


def end_file(mark: int | None, module: ModuleType) -> None:
    """Bind each DAG the file created but did not name into its module's globals."""
    stack = _stack()
    if mark is None or len(stack) < mark:
        return
    created = stack.pop()
    bound = {id(v) for v in vars(module).values()}
    for dag in created:
        check = getattr(dag, "check_default_args", None)
        if check is not None:
            check()
        if id(dag) not in bound:
            setattr(module, f"__airflow_dag_{dag.dag_id}", dag)


def note(where: str, message: str) -> None:
    """Report `message` about `where` (a DAG id) once per process."""
    key = (where, message)
    with _lock:
        if key in _noted:
            return
        _noted.add(key)
        _notes.append(key)
    log.warning("DAG %r: %s", where, message)


def notes_since(mark: int) -> list[tuple[str, str]]:
    """Notes recorded after `mark` (a `len(notes)` taken earlier), for the migration report."""
    with _lock:
        return list(_notes[mark:])


def notes_count() -> int:
    with _lock:
        return len(_notes)
