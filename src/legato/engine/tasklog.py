"""The log of each try (kept in its row when short, in a file when long), and the plumbing
that routes a task's output into it.

Worker threads share `sys.stdout`, so prints are attributed by thread: while a try runs, its
thread's writes to stdout/stderr are copied into its log (and still reach the terminal, so
`print` and `breakpoint()` behave as usual). `ctx.log` is the `legato.task` logger, routed
the same way.

Both copies are masked (security/masking.py): the log file's, and the terminal's, which is what
journald and `docker logs` keep for `legato run`, `legato scheduler` and `legato up`. Masking
works on whole lines (`print("pw", secret)` is four writes), so while a try runs the terminal
copy of its thread's output is held until its newline (or a flush, or the try's end) and then
written masked.
"""

from __future__ import annotations

import io
import logging
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from ..security.masking import mask

_current = threading.local()
_install_lock = threading.Lock()
_installs = 0
_saved: tuple[TextIO, TextIO] | None = None


WRITE_THROUGH_AFTER_S = 1.0
INLINE_MAX_CHARS = 64 * 1024          # a log up to this size is kept in the try's row
MEMORY_MAX_LINES = 20_000             # lines kept in memory once the file cannot be written


class TryLog:
    """The log of one try.

    Lines are kept in memory; a try that ends within WRITE_THROUGH_AFTER_S with a short log
    has it stored in its row with its outcome (no file: creating one costs up to half a
    millisecond on some disks, more than a no-op task). A try still running after that, or
    with a longer log, writes a file (followed live by the UI while the try runs).

    Writing never raises into the task: a file that cannot be written (a full disk) is
    noted, lines stay in memory (the last MEMORY_MAX_LINES), and `finish` reports the error
    with the log's tail inline, so the try's record says what happened to its log."""

    def __init__(self, path: Path | Callable[[], Path]) -> None:
        self._path = path                 # a callable: built only if a file is written
        self._lines: list[str] = []
        self._file: TextIO | None = None
        self._write_through_at = time.monotonic() + WRITE_THROUGH_AFTER_S
        self._partial = ""
        self.error: str | None = None

    @property
    def path(self) -> Path:
        if callable(self._path):
            self._path = self._path()
        return self._path

    def _open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
            self._file.writelines(self._lines)
            self._lines = []
        except OSError as exc:
            self._fail(exc)

    def _fail(self, exc: OSError) -> None:
        self.error = f"{type(exc).__name__}: {exc.strerror or exc}"
        if self._file is not None:
            try:
                self._file.close()
            except OSError:
                pass
            self._file = None

    def line(self, level: str, message: str) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        text = f"[{stamp}Z] {level:<7} {mask(message)}\n"   # secrets never reach the log
        if self._file is not None:
            try:
                self._file.write(text)
                return
            except OSError as exc:
                self._fail(exc)
        self._lines.append(text)
        if len(self._lines) > MEMORY_MAX_LINES:
            del self._lines[:len(self._lines) - MEMORY_MAX_LINES]
        if self.error is None and time.monotonic() >= self._write_through_at:
            self._open()

    def raw(self, text: str) -> None:
        text = self._partial + text
        *lines, self._partial = text.split("\n")
        for line in lines:
            self.line("OUTPUT", line)

    def finish(self) -> tuple[str | None, str | None, str | None]:
        """End the log: (inline text, file path, error). A short log of a short try is inline;
        otherwise it is in the file; if the file could not be written, the error and the
        log's tail (what memory kept) are returned instead."""
        if self._partial:
            self.line("OUTPUT", self._partial)
            self._partial = ""
        if self._file is None and self.error is None:
            text = "".join(self._lines)
            if len(text) <= INLINE_MAX_CHARS:
                return text, None, None
            self._open()
        if self._file is not None:
            try:
                self._file.close()
                self._file = None
                return None, str(self.path), None
            except OSError as exc:
                self._fail(exc)
        tail = "".join(self._lines)[-INLINE_MAX_CHARS:]
        return tail, None, f"the log file could not be written ({self.error})"


def current() -> TryLog | None:
    return getattr(_current, "log", None)


def set_current(log: TryLog | None) -> None:
    _flush_console()                   # the previous try's unfinished line, masked
    _current.log = log


def _held() -> dict[_Tee, str]:
    """This thread's terminal output waiting for its newline, per stream."""
    held = getattr(_current, "console", None)
    if held is None:
        held = _current.console = {}
    return held


def _flush_console() -> None:
    held = getattr(_current, "console", None)
    while held:
        tee, text = held.popitem()
        tee.emit(text)


class _Tee(io.TextIOBase):
    def __init__(self, target: TextIO) -> None:
        self._target = target

    def write(self, s: str) -> int:
        log = current()
        if log is None:
            return self._target.write(s)
        log.raw(s)
        held = _held()
        text = held.pop(self, "") + s
        head, newline, tail = text.rpartition("\n")
        if newline:
            self.emit(head + newline)
        if tail:
            held[self] = tail
        return len(s)

    def emit(self, text: str) -> None:
        """Write a try's output to the terminal, secrets masked."""
        self._target.write(mask(text))

    def flush(self) -> None:
        held = getattr(_current, "console", None)
        if held and self in held:
            self.emit(held.pop(self))
        self._target.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)


class _Route(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        log = current()
        if log is not None:
            log.line(record.levelname, self.format(record))


task_logger = logging.getLogger("legato.task")
task_logger.setLevel(logging.DEBUG)
task_logger.propagate = False
task_logger.addHandler(_Route())


def install_capture() -> None:
    """Start copying this process's stdout/stderr writes into the running try's log."""
    global _installs, _saved
    with _install_lock:
        if _installs == 0:
            _saved = (sys.stdout, sys.stderr)
            sys.stdout = _Tee(sys.stdout)
            sys.stderr = _Tee(sys.stderr)
        _installs += 1


def uninstall_capture() -> None:
    global _installs, _saved
    with _install_lock:
        _installs -= 1
        if _installs == 0 and _saved is not None:
            sys.stdout, sys.stderr = _saved
            _saved = None


def log_path(logs_dir: Path, dag_id: str, run_id: str, task_id: str, map_index: int,
             try_number: int) -> Path:
    name = task_id if map_index < 0 else f"{task_id}[{map_index}]"
    return logs_dir / dag_id / run_id / f"{name}.try{try_number}.log"
