"""Where a worker finds the DAG object (with its callables) for a try.

In the process that defined the DAG (`dag.run`) it is registered directly; a worker process
that has never seen it imports its file once, by the `fileloc` the request carries.
"""

from __future__ import annotations

import threading

from ..authoring.dag import DAG
from ..authoring.loader import load_file

_dags: dict[str, DAG] = {}
_lock = threading.Lock()


class DagNotFound(LookupError):
    pass


def register(dag: DAG) -> None:
    with _lock:
        _dags[dag.dag_id] = dag


def get_dag(dag_id: str, fileloc: str) -> DAG:
    dag = _dags.get(dag_id)
    if dag is not None:
        return dag
    with _lock:
        if dag_id not in _dags:
            loaded = load_file(fileloc)
            if loaded.errors:
                raise DagNotFound(str(loaded.errors[0]))
            for found in loaded.dags:
                _dags.setdefault(found.dag_id, found)
        if dag_id not in _dags:
            raise DagNotFound(f"DAG {dag_id!r} is not defined in {fileloc}")
        return _dags[dag_id]
