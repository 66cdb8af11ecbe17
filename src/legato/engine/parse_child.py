"""The child process of the DAG processor: `python -m legato.engine.parse_child FILE`.

Imports one DAG file and writes one JSON line to its stdout: {"specs": [spec JSON of each
DAG], "errors": [[file, line, message], ...]}. Whatever the file prints at import goes to
stderr, so it cannot corrupt the answer. It exits with os._exit, so a DAG file's atexit hooks
and non-daemon threads cannot keep it alive; a file that calls sys.exit() is reported as an
error by the loader, one that calls os._exit() or never finishes is reported by the parent.
It dies with its parent (`... parse_child FILE PARENT_PID`): a file that loops for ever must
not outlive the scheduler, server or CLI that was waiting for it.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
import threading
import time

from ..config import parse_sys_path_env

PR_SET_PDEATHSIG = 1


def die_with(parent: int) -> None:
    """Exit when `parent` is gone: at once through the kernel where Linux offers it (a file
    stuck in C code too), else within half a second from a watching thread."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:          # it died before we could ask
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), daemon=True,
                     name="legato-parse-orphan-watch").start()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def main(path: str) -> None:
    sys.path[:] = json.loads(parse_sys_path_env() or "null") or sys.path
    answer_fd = os.dup(1)
    os.dup2(2, 1)                      # prints at import go to stderr
    from ..authoring.loader import load_file

    loaded = load_file(path)
    specs, errors = [], [[e.file, e.line, e.message] for e in loaded.errors]
    for dag in loaded.dags:
        try:
            specs.append(dag.spec_json())
        except Exception as exc:  # noqa: BLE001 - e.g. a cycle found while building the spec
            errors.append([path, None, f"DAG {dag.dag_id!r}: {type(exc).__name__}: {exc}"])
    sys.stdout.flush()
    data = json.dumps({"specs": specs, "errors": errors}).encode()
    view = memoryview(data)
    while view:
        view = view[os.write(answer_fd, view):]


if __name__ == "__main__":
    try:
        if len(sys.argv) > 2:
            die_with(int(sys.argv[2]))
        main(sys.argv[1])
    finally:
        os._exit(0)
