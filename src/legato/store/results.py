"""Task results and pushed values: small ones inline in the database as JSON, large ones in
files under `$LEGATO_HOME/results/`, each in the format that costs least for its type.

- Up to `INLINE_LIMIT` (64 KiB of JSON) a value is kept inline, so most results are one column
  of the try's commit. Bytes are inline too, as base64 under a `$legato.bytes` tag.
- Above it a value goes to a file whose suffix names its format: `.txt` (a str, UTF-8: no JSON
  escaping), `.bin` (bytes), `.npy` (a NumPy array, without pickle), `.arrow` (a pyarrow Table,
  or a pandas DataFrame when pyarrow is installed: Arrow IPC), `.json` (anything else).
- In the process that produced a large immutable value (str, bytes) it is also kept in memory
  (`MEMORY`, bounded), and a downstream task there reads it back without touching the file:
  a 10 MiB string passes from task to task without being copied (the file is still written,
  for other processes, retries and restarts). An entry is trusted only while the file is the
  one this process wrote (its size and mtime), so a re-run elsewhere is never shadowed.

Files are written atomically (legato.atomicfile) without an fsync: like a SQLite commit in WAL
mode with synchronous=NORMAL, they survive the death of the process, not a power loss.
Nothing is pickled. A value none of these formats can hold fails its task with an error
naming the task and the offending type.
"""

from __future__ import annotations

import base64
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..atomicfile import write_atomic

INLINE_LIMIT = 64 * 1024
MEMORY_BYTES = 512 * 1024 * 1024     # large immutable results kept in memory, per process
BYTES_TAG = "$legato.bytes"


class ResultNotSerializable(TypeError):
    """A task returned (or pushed) something JSON cannot hold."""


@dataclass(frozen=True, slots=True)
class StoredValue:
    """An encoded value: `inline` JSON text, or a `path` under the results folder."""

    inline: str | None
    path: str | None
    size: int
    length: int | None = None       # len() of a list result, for mapping over it


def _offending_type(value: Any) -> str:
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str | int | float | bool) and k is not None:
                return type(k).__name__
            found = _offending_type(v)
            if found:
                return found
    elif isinstance(value, list | tuple):
        for v in value:
            found = _offending_type(v)
            if found:
                return found
    elif not isinstance(value, str | int | float | bool) and value is not None:
        return type(value).__name__
    return ""


def _json(value: Any, what: str) -> str:
    try:
        return json.dumps(value, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        kind = _offending_type(value) or type(value).__name__
        raise ResultNotSerializable(
            f"{what} is not JSON-serializable: contains a value of type {kind!r} ({exc}); "
            "return JSON values, str, bytes, a NumPy array or an Arrow table") from None


def _binary(value: Any) -> tuple[str, bytes | str] | None:
    """(suffix, data) for a value with a binary format of its own, else None."""
    if isinstance(value, str):
        return ".txt", value
    if isinstance(value, bytes | bytearray | memoryview):
        return ".bin", bytes(value)
    kind = type(value)
    if kind.__module__ == "numpy" and kind.__name__ == "ndarray" and value.dtype != object:
        import io

        import numpy

        buffer = io.BytesIO()
        numpy.save(buffer, value, allow_pickle=False)
        return ".npy", buffer.getvalue()
    if kind.__module__.startswith(("pyarrow", "pandas")) and \
            kind.__name__ in ("Table", "RecordBatch", "DataFrame"):
        return _arrow(value)
    return None


def _arrow(value: Any) -> tuple[str, bytes] | None:
    try:
        import pyarrow as pa
    except ImportError:
        return None
    table = pa.Table.from_pandas(value) if type(value).__name__ == "DataFrame" else value
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write(table)
    return ".arrow", sink.getvalue().to_pybytes()


def encode(value: Any, *, what: str, results_dir: Path, relpath: str) -> StoredValue:
    """Store `value` (see the module docstring); `what` names it in errors ("result of task
    'load'"). `relpath` names the file without its suffix (a `.json` given is replaced)."""
    base = relpath.removesuffix(".json")
    length = len(value) if isinstance(value, list | tuple) else None
    if isinstance(value, bytes | bytearray) and len(value) * 4 // 3 <= INLINE_LIMIT:
        text = json.dumps({BYTES_TAG: base64.b64encode(value).decode()})
        return StoredValue(inline=text, path=None, size=len(value))
    binary = None if isinstance(value, str) and len(value) <= INLINE_LIMIT // 2 else _binary(value)
    data: str | bytes
    if binary is None:
        text = _json(value, what)
        if len(text) <= INLINE_LIMIT:
            return StoredValue(inline=text, path=None, size=len(text), length=length)
        suffix, data = ".json", text
    else:
        suffix, data = binary
    path = base + suffix
    write_atomic(results_dir / path, data, fsync=False)
    if isinstance(value, str | bytes):
        _remember(results_dir / path, value)
    return StoredValue(inline=None, path=path, size=len(data), length=length)


def decode(inline: str | None, path: str | None, results_dir: Path) -> Any:
    if inline is not None:
        value = json.loads(inline)
        if isinstance(value, dict) and len(value) == 1 and BYTES_TAG in value:
            return base64.b64decode(value[BYTES_TAG])
        return value
    if path is None:
        return None
    target = (results_dir / path).resolve()
    if not target.is_relative_to(results_dir.resolve()):
        raise ValueError(f"stored result path {path!r} points outside the results folder")
    kept = _recall(target)
    if kept is not None:
        return kept
    return _read(target)


def _read(target: Path) -> Any:
    suffix = target.suffix
    if suffix == ".txt":
        return target.read_text(encoding="utf-8")
    if suffix == ".bin":
        return target.read_bytes()
    if suffix == ".npy":
        import numpy

        return numpy.load(target, allow_pickle=False)
    if suffix == ".arrow":
        import pyarrow as pa

        with pa.memory_map(str(target)) as source:
            return pa.ipc.open_file(source).read_all()
    return json.loads(target.read_text(encoding="utf-8"))


# -- in-process pass-through -----------------------------------------------------------------
_memory: OrderedDict[Path, tuple[tuple[int, int], Any]] = OrderedDict()
_memory_size = 0
_memory_lock = threading.Lock()


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def _remember(path: Path, value: str | bytes) -> None:
    global _memory_size
    stamp = _stamp(path.resolve())
    if stamp is None or len(value) > MEMORY_BYTES // 4:
        return
    with _memory_lock:
        old = _memory.pop(path.resolve(), None)
        if old is not None:
            _memory_size -= len(old[1])
        _memory[path.resolve()] = (stamp, value)
        _memory_size += len(value)
        while _memory_size > MEMORY_BYTES and _memory:
            _, (_, dropped) = _memory.popitem(last=False)
            _memory_size -= len(dropped)


def _recall(path: Path) -> Any:
    with _memory_lock:
        entry = _memory.get(path)
    if entry is None or _stamp(path) != entry[0]:
        return None
    return entry[1]
