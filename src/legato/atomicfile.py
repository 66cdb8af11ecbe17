"""Writing a file so that a reader, or a process killed mid-write, sees the old file or the
new one and never half of one: the data goes to a new temporary file in the same folder,
which is renamed over the target (`os.replace`, atomic on POSIX and Windows).

One helper for every writer that replaces a whole file (the results store, `legato.io`'s
local writes, the drift gate's quarantine, the secrets key file):
- the temporary file is unique (`.<name>.<random>.part`, created exclusively), so two writers
  of one target never write into the same temporary file; the last rename wins;
- `perm` is the new file's mode (default: what `open()` gives, 0o666 less the umask); the
  file never exists with a wider mode, even briefly (the key file is 0o600 from the start);
- `fsync` (default on) flushes the data to disk before the rename, so a power loss after
  the rename cannot leave an empty file; a writer whose file is rebuilt anyway may skip it;
- on any failure the temporary file is removed and the target is left as it was.

Standard library only, so every layer, the store included, may import it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

DEFAULT_PERM = 0o666


def _open_temp(path: Path, perm: int) -> tuple[Path, int]:
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.part")
        try:
            return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, perm)
        except FileExistsError:                              # pragma: no cover - 48 random bits
            continue


@contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "wb", *, perm: int | None = None,
                fsync: bool = True, encoding: str = "utf-8") -> Iterator[IO[Any]]:
    """A file to write `path`'s new content to (`mode` "wb" or "w"); it replaces `path` when
    the block ends without an error. Parent folders are created."""
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_open writes a whole file: mode 'wb' or 'w', not {mode!r}")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp, fd = _open_temp(target, DEFAULT_PERM if perm is None else perm)
    try:
        with os.fdopen(fd, mode, encoding=None if mode == "wb" else encoding) as f:
            yield f
            f.flush()
            if fsync:
                os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: str | os.PathLike[str], data: bytes | str, *, perm: int | None = None,
                 fsync: bool = True, encoding: str = "utf-8") -> None:
    """Replace `path` with `data` (bytes, or text in `encoding`) atomically."""
    mode = "wb" if isinstance(data, bytes) else "w"
    with atomic_open(path, mode, perm=perm, fsync=fsync, encoding=encoding) as f:
        f.write(data)
