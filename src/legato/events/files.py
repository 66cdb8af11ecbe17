"""FileArrival: one event per new file matching a local glob or an fsspec URL pattern.

A file is delivered once its (size, mtime) is the same on two consecutive polls, so a file
still being written is not taken; its key is its URL, so it is never delivered twice, across
restarts too (the store refuses a repeated key). Files already there when the scheduler
starts count as new if they never had a run: a drop folder filled while Legato was down
loses nothing. fsspec is imported only for URL patterns.
"""

from __future__ import annotations

import glob
import os
from datetime import UTC, datetime
from typing import Any

from ..extras import require
from .base import Deliver
from .triggers import FileArrival

Stat = tuple[int, Any]


class FileArrivalSource:
    def __init__(self, trigger: FileArrival) -> None:
        self.trigger = trigger
        self.interval_s = trigger.poll_s
        self._previous: dict[str, tuple[Stat, dict[str, Any]]] = {}
        self._delivered: set[str] = set()      # keys this process already handed over

    def poll(self, deliver: Deliver) -> int:
        listing = self._list()
        count = 0
        for url, (stat, payload) in listing.items():
            if url in self._delivered:
                continue
            before = self._previous.get(url)
            if before is None or before[0] != stat:
                continue                           # new or still changing: look again next poll
            count += deliver(url, "file", payload)     # False: delivered before a restart
            self._delivered.add(url)
        self._previous = listing
        self._delivered &= set(listing)            # forget files that are gone (memory bound)
        return count

    def close(self) -> None:
        self._previous.clear()

    def _list(self) -> dict[str, tuple[Stat, dict[str, Any]]]:
        pattern = self.trigger.pattern
        return _list_url(pattern) if "://" in pattern else _list_local(pattern)


def _payload(url: str, path: str, size: int, mtime: datetime | None, pattern: str) -> dict[str, Any]:
    return {"trigger": "file", "url": url, "path": path, "size": size,
            "mtime": mtime.isoformat() if mtime else None, "pattern": pattern}


def _list_local(pattern: str) -> dict[str, tuple[Stat, dict[str, Any]]]:
    found = {}
    for name in glob.glob(os.path.expanduser(pattern), recursive=True):
        path = os.path.abspath(name)
        try:
            st = os.stat(path)
        except OSError:
            continue                               # vanished between glob and stat
        if not os.path.isfile(path):
            continue
        mtime = datetime.fromtimestamp(st.st_mtime, UTC)
        found[path] = ((st.st_size, st.st_mtime_ns), _payload(path, path, st.st_size, mtime, pattern))
    return found


def _mtime(info: dict[str, Any]) -> datetime | None:
    for field in ("mtime", "LastModified", "last_modified", "updated", "created"):
        value = info.get(field)
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        if isinstance(value, int | float):
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str) and value:
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                continue
    return None


def _list_url(pattern: str) -> dict[str, tuple[Stat, dict[str, Any]]]:
    url_to_fs = require("fsspec.core", "FileArrival on a storage URL").url_to_fs
    fs, path = url_to_fs(pattern)
    fs.invalidate_cache()
    found = {}
    for name, info in fs.glob(path, detail=True).items():
        if info.get("type") != "file":
            continue
        url = fs.unstrip_protocol(name)
        size, mtime = int(info.get("size") or 0), _mtime(info)
        found[url] = ((size, mtime), _payload(url, name, size, mtime, pattern))
    return found
