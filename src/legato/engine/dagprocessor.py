"""DAG files are parsed in child processes with a timeout, as Airflow's DAG processor does.

A DAG file is user code: it may loop forever, sleep, call `sys.exit()` or `os._exit()`, or
crash the interpreter. So the scheduler, the server and the CLI never import one themselves:
each file is imported in a fresh child interpreter (parse_child.py), which prints back the
spec JSON of each DAG it defines, or the error that stopped it. A fresh interpreter per file
costs ~0.1 s, paid only when a file changes; forking from a preloaded server would be
cheaper, but multiprocessing's children re-import the parent's main module (for `legato`,
the whole CLI), which cost more than it saved and broke under a loaded machine. A child that outlives
`LEGATO_DAG_IMPORT_TIMEOUT_S` (default 30) is killed, and a child that exits without
answering is reported with its exit code: both are import errors naming the file, and no
other file waits for them (files are parsed side by side).

`DagProcessor` keeps the folder's last parse: a file is parsed again only when its mtime or
size changes; a file that stops parsing keeps its last good DAGs in use (and shows its error);
a dag_id defined in two files is an error of both and neither is used (loader.py).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from ..authoring.loader import LoadError, LoadResult, dag_files, drop_duplicate_ids
from ..authoring.parsed import ParsedDag
from ..config import PARSE_SYS_PATH_ENV

log = logging.getLogger("legato.dagprocessor")
SYS_PATH_ENV = PARSE_SYS_PATH_ENV           # the parent's sys.path, for the child's imports
Stamp = tuple[int, int]


@dataclass(frozen=True)
class FileParse:
    """One file's parse: the spec JSON of each DAG in it, or what stopped it."""

    path: str
    stamp: Stamp | None
    specs: tuple[str, ...] = ()
    errors: tuple[LoadError, ...] = ()


@dataclass
class ParseResult:
    """The DAGs of a folder (as ParsedDag) and its import errors."""

    dags: list[ParsedDag] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)

    def get(self, dag_id: str) -> ParsedDag | None:
        return next((d for d in self.dags if d.dag_id == dag_id), None)


def _stamp(path: Path) -> Stamp | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


# -- the child ----------------------------------------------------------------------------
def _parse_one(path: Path, timeout_s: float) -> FileParse:
    """Import `path` in a fresh interpreter (engine/parse_child.py) and read its answer; a
    child that outlives the timeout is killed, one that exits without answering is reported
    with its exit code."""
    stamp = _stamp(path)
    env = {**os.environ, SYS_PATH_ENV: json.dumps(sys.path)}
    proc = subprocess.Popen([sys.executable, "-m", "legato.engine.parse_child", str(path),
                             str(os.getpid())],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=env)
    try:
        out, _ = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return FileParse(str(path), stamp, errors=(LoadError(
            str(path), None, f"importing this file took longer than {timeout_s:g}s "
            "(LEGATO_DAG_IMPORT_TIMEOUT_S); it was stopped"),))
    try:
        answer = json.loads(out)
    except ValueError:
        code = proc.returncode
        why = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
        return FileParse(str(path), stamp, errors=(LoadError(
            str(path), None, f"the interpreter exited while importing this file ({why})"),))
    return FileParse(str(path), stamp, tuple(answer["specs"]),
                     tuple(LoadError(f, line, m) for f, line, m in answer["errors"]))


def parse_files(paths: Iterable[Path], timeout_s: float, workers: int = 4,
                on_done: Callable[[FileParse], None] | None = None) -> list[FileParse]:
    """Parse each file in its own child, `workers` at a time; never raises for a bad file.
    `on_done` sees each file's parse as soon as it is known."""
    paths = list(paths)
    if not paths:
        return []
    done: list[FileParse] = []
    with ThreadPoolExecutor(min(workers, len(paths)), thread_name_prefix="legato-parse") as pool:
        for future in as_completed([pool.submit(_parse_one, p, timeout_s) for p in paths]):
            one = future.result()
            done.append(one)
            if on_done is not None:
                on_done(one)
    return done


# -- the folder ---------------------------------------------------------------------------
class DagProcessor:
    """A DAG folder's last parse, refreshed file by file as files change (thread-safe)."""

    def __init__(self, folder: Path, timeout_s: float = 30.0, workers: int | None = None) -> None:
        self.folder = Path(folder)
        self.timeout_s = timeout_s
        self.workers = workers or 4       # imports wait on I/O more than on a core
        self.log_errors = False           # a scheduler logs import errors; the CLI and API
                                          # show them with their results instead
        self._files: dict[str, FileParse] = {}        # the latest parse of each file
        self._good: dict[str, tuple[str, ...]] = {}   # the last parse of each file that worked
        self._lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self.version = 0                              # bumped when the result changes
        self._cached: tuple[int, ParseResult] | None = None

    def changed_files(self) -> tuple[list[Path], list[str]]:
        """(files new or changed since their last parse, files gone)."""
        present = {str(p): p for p in dag_files(self.folder)} if self.folder.is_dir() else {}
        with self._lock:
            changed = [p for name, p in present.items()
                       if name not in self._files or self._files[name].stamp != _stamp(p)]
            gone = [name for name in self._files if name not in present]
        return changed, gone

    def refresh(self) -> bool:
        """Parse what changed (in children); True if the result changed. One at a time."""
        with self._refresh_lock:
            changed, gone = self.changed_files()
            if not changed and not gone:
                return False
            with self._lock:
                for name in gone:
                    self._files.pop(name, None)
                    self._good.pop(name, None)
                self.version += 1
            parse_files(changed, self.timeout_s, self.workers, on_done=self._take)
            return True

    def _take(self, one: FileParse) -> None:
        """One file's new parse, visible to `result()` at once (a slow file holds up no
        other)."""
        for error in one.errors if self.log_errors else ():
            log.error("DAG file failed to import: %s", error)
        with self._lock:
            self._files[one.path] = one
            if not one.errors:
                self._good[one.path] = one.specs
            self.version += 1

    def result(self) -> ParseResult:
        """Every DAG of the last good parse of each file, and every file's current errors."""
        with self._lock:
            if self._cached is not None and self._cached[0] == self.version:
                return self._cached[1]
            version = self.version
            specs = [s for name in sorted(self._files) for s in self._good.get(name, ())]
            errors = [e for name in sorted(self._files) for e in self._files[name].errors]
        found = drop_duplicate_ids(LoadResult([ParsedDag.from_json(s) for s in specs], errors))
        result = ParseResult(list(found.dags), list(found.errors))
        with self._lock:
            self._cached = (version, result)
        return result


_shared: dict[tuple[Path, float], DagProcessor] = {}
_shared_lock = threading.Lock()


def shared_processor(folder: Path, timeout_s: float) -> DagProcessor:
    """This process's one DagProcessor for a folder (the scheduler, its event listener and the
    server of `legato up` share a parse instead of each importing every file)."""
    key = (Path(folder).resolve(), timeout_s)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = DagProcessor(key[0], timeout_s)
        return _shared[key]


class ParseLoop:
    """A background thread re-parsing a DagProcessor's changed files every `interval_s`, so
    whoever reads `processor.result()` never waits for a DAG file."""

    def __init__(self, processor: DagProcessor, interval_s: float = 0.5) -> None:
        self.processor = processor
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="legato-dag-parse", daemon=True)

    def start(self) -> ParseLoop:
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.processor.refresh()
            except Exception:                 # the loop must outlive a bad pass
                log.exception("parsing the DAG folder failed; trying again")

    def stop(self) -> None:
        self._stop.set()
