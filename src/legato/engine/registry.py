"""Where a worker finds the DAG object (with its callables) for a try.

In the process that defined the DAG (`dag.run`) it is registered directly. Otherwise a worker
imports the DAG's file by the `fileloc` the request carries, and imports it again when the
file changed since (a long-running scheduler's thread workers run the code on disk, as its
child-process parser sees it). Each file has its own lock, so a file whose import is slow
holds up only the tries of its own DAGs.
"""

from __future__ import annotations

import threading
from pathlib import Path

from ..authoring.dag import DAG
from ..authoring.loader import load_file

_registered: dict[str, DAG] = {}
_imported: dict[str, tuple[tuple[int, int] | None, dict[str, DAG]]] = {}
_lock = threading.Lock()
_file_locks: dict[str, threading.Lock] = {}


class DagNotFound(LookupError):
    pass


def register(dag: DAG) -> None:
    """Use this object for `dag.dag_id` in this process (dag.run, tests)."""
    with _lock:
        _registered[dag.dag_id] = dag


def forget(dag_id: str) -> None:
    """Drop what this process knows of `dag_id` (a worker told the file changed)."""
    with _lock:
        _registered.pop(dag_id, None)
        for _, dags in _imported.values():
            dags.pop(dag_id, None)


def _stamp(fileloc: str) -> tuple[int, int] | None:
    try:
        st = Path(fileloc).stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def _import(fileloc: str) -> dict[str, DAG]:
    """The DAGs of `fileloc`, imported again if the file changed since the last import."""
    with _lock:
        file_lock = _file_locks.setdefault(fileloc, threading.Lock())
    with file_lock:
        stamp = _stamp(fileloc)
        cached = _imported.get(fileloc)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        loaded = load_file(fileloc)
        if loaded.errors:
            raise DagNotFound(str(loaded.errors[0]))
        dags = {d.dag_id: d for d in loaded.dags}
        _imported[fileloc] = (stamp, dags)
        return dags


def get_dag(dag_id: str, fileloc: str) -> DAG:
    """The DAG to run a try of: the object registered for it in this process if it comes from
    the same file (another test or script may have registered a namesake), else its file's."""
    dag = _registered.get(dag_id)
    if dag is not None and dag.fileloc == fileloc:
        return dag
    dags = _import(fileloc)
    if dag_id not in dags:
        raise DagNotFound(f"DAG {dag_id!r} is not defined in {fileloc}")
    return dags[dag_id]
