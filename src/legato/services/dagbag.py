"""The DAGs folder as the server and the CLI see it: the last parse of a DagProcessor.

They never import a DAG file themselves (engine/dagprocessor.py parses each in a child). A
caller that finds files changed starts a refresh in a background thread and waits for it at
most `wait_s` after the refresh began — the CLI waits for a fresh parse, a request thread a
moment at most — then takes the last good parse of each file, so a file that hangs its import
delays nothing but its own DAGs.
"""

from __future__ import annotations

import threading
import time

from ..config import Settings
from ..engine.dagprocessor import DagProcessor, ParseResult, shared_processor

SERVER_WAIT_S = 2.0


class _Folder:
    def __init__(self, processor: DagProcessor) -> None:
        self.processor = processor
        self.lock = threading.Lock()
        self.refreshing: threading.Thread | None = None
        self.started_at = 0.0

    def ensure_refresh(self) -> None:
        """Start a background refresh if files changed and none is running."""
        with self.lock:
            if self.refreshing is not None and self.refreshing.is_alive():
                return
            changed, gone = self.processor.changed_files()
            if not changed and not gone:
                return
            self.started_at = time.monotonic()
            self.refreshing = threading.Thread(target=self.processor.refresh, daemon=True,
                                               name="legato-dag-parse")
            self.refreshing.start()

    def wait(self, wait_s: float | None) -> None:
        """Wait for the running refresh, at most until `wait_s` after it began (None: until
        it ends; a refresh is bounded by the import timeout of its slowest files)."""
        with self.lock:
            thread, started = self.refreshing, self.started_at
        if thread is not None:
            thread.join(None if wait_s is None else max(0.0, started + wait_s - time.monotonic()))


_folders: dict[int, _Folder] = {}
_folders_lock = threading.Lock()


def _folder(settings: Settings) -> _Folder:
    processor = shared_processor(settings.dags_folder, settings.dag_import_timeout_s)
    with _folders_lock:
        if id(processor) not in _folders:
            _folders[id(processor)] = _Folder(processor)
        return _folders[id(processor)]


def current_dags(settings: Settings, *, wait_s: float | None = SERVER_WAIT_S) -> ParseResult:
    """The folder's DAGs and import errors, as last parsed (see the module docstring). The
    first parse of a folder in this process is waited for up to the import timeout (files
    that parse quickly are in the result by then, whatever the slow ones do)."""
    folder = _folder(settings)
    first = folder.processor.version == 0
    folder.ensure_refresh()
    if first and wait_s is not None:
        wait_s = max(wait_s, settings.dag_import_timeout_s + 1)
    folder.wait(wait_s)
    return folder.processor.result()


def fresh_dags(settings: Settings) -> ParseResult:
    """The folder's DAGs once every changed file was parsed or timed out (the CLI's view)."""
    return current_dags(settings, wait_s=None)
