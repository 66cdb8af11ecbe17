"""legato.atomicfile: a replaced file is the old one or the new one, never half of one."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from legato.atomicfile import atomic_open, write_atomic


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def test_writes_bytes_and_text_creating_folders(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "out.json"
    write_atomic(target, b'{"x": 1}')
    assert target.read_bytes() == b'{"x": 1}'
    write_atomic(target, "caf\u00e9\n", fsync=False)
    assert target.read_text(encoding="utf-8") == "caf\u00e9\n"
    assert _leftovers(target.parent) == []


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "data.jsonl"
    target.write_text("old\n")
    with pytest.raises(RuntimeError, match="mid-write"), atomic_open(target, "w") as f:
        f.write("new, half")
        raise RuntimeError("killed mid-write")
    assert target.read_text() == "old\n"
    assert _leftovers(tmp_path) == []


def test_the_mode_is_never_wider_than_asked(tmp_path: Path) -> None:
    key = tmp_path / "key"
    write_atomic(key, b"secret", perm=0o600)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    plain = tmp_path / "plain"
    old = os.umask(0o022)
    try:
        write_atomic(plain, b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(plain.stat().st_mode) == 0o644         # what open() would give


def test_only_whole_file_modes(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="mode 'wb' or 'w'"), atomic_open(tmp_path / "x", "a"):
        pass


def test_concurrent_writers_never_leave_a_mixed_file(tmp_path: Path) -> None:
    target = tmp_path / "shared.txt"
    bodies = [(str(i) * 200_000).encode() for i in range(8)]
    seen: list[bytes] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            if target.exists():
                seen.append(target.read_bytes())

    reader = threading.Thread(target=read)
    reader.start()
    writers = [threading.Thread(target=write_atomic, args=(target, b)) for b in bodies * 3]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    done.set()
    reader.join()
    assert target.read_bytes() in bodies
    assert all(s in bodies for s in seen)
    assert _leftovers(tmp_path) == []
