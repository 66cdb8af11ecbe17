"""Files anywhere fsspec reaches: local paths by default, `s3://`, `gs://`, `abfs://`,
`memory://` ... by URL. Records in and out as bytes, text, JSON, JSON lines or CSV (rows as
dicts; CSV columns typed on request: `schema=`, `dtypes=` or `infer=True`, see csvtypes.py).

Local paths (no scheme, or `file://`) are handled with the standard library, so they work
without fsspec, and every local write is atomic: the data goes to a temporary file in the same
folder, is flushed to disk, then renamed over the target, so a task killed mid-write leaves the
old file or the new one, never half a file. Object stores are atomic per object already.

`conn="s3_prod"` turns a connection into fsspec storage options (see `options_from_connection`).
fsspec is imported only when a non-local URL is used.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..atomicfile import write_atomic
from ..extras import require
from .fsoptions import options_for

GLOB_CHARS = "*?["


def local_path(url: str) -> Path | None:
    """The local path of `url`, or None when it names another filesystem."""
    if url.startswith("file://"):
        return Path(url.removeprefix("file://"))
    if "://" in url or url.startswith(("s3:", "gs:", "gcs:", "az:", "abfs:")):
        return None
    return Path(url).expanduser()


def _fs(url: str, conn: str | None, options: Mapping[str, Any] | None) -> tuple[Any, str]:
    fsspec = require("fsspec", f"reading {url!r} (not a local path)")
    opts = {**options_for(url, conn), **(options or {})}
    fs, path = fsspec.core.url_to_fs(url, **opts)
    return fs, path


# -- bytes and text ---------------------------------------------------------------------------

def read_bytes(url: str, *, conn: str | None = None,
               options: Mapping[str, Any] | None = None) -> bytes:
    path = local_path(url)
    if path is not None:
        return path.read_bytes()
    fs, p = _fs(url, conn, options)
    with fs.open(p, "rb") as f:
        return f.read()


def write_bytes(url: str, data: bytes, *, conn: str | None = None,
                options: Mapping[str, Any] | None = None) -> str:
    """Write `data` at `url` (parent folders created); the URL written."""
    path = local_path(url)
    if path is not None:
        atomic_write(path, data)
        return str(path)
    fs, p = _fs(url, conn, options)
    parent = p.rsplit("/", 1)[0] if "/" in p else ""
    if parent and not fs.exists(parent):
        fs.makedirs(parent, exist_ok=True)
    with fs.open(p, "wb") as f:
        f.write(data)
    return url


def atomic_write(path: Path, data: bytes) -> None:
    """legato.atomicfile's write: a temporary file in the same folder, fsync, rename."""
    write_atomic(path, data)


def read_text(url: str, *, encoding: str = "utf-8", conn: str | None = None,
              options: Mapping[str, Any] | None = None) -> str:
    return read_bytes(url, conn=conn, options=options).decode(encoding)


def write_text(url: str, text: str, *, encoding: str = "utf-8", conn: str | None = None,
               options: Mapping[str, Any] | None = None) -> str:
    return write_bytes(url, text.encode(encoding), conn=conn, options=options)


def read_json(url: str, *, conn: str | None = None, options: Mapping[str, Any] | None = None) -> Any:
    text = read_text(url, conn=conn, options=options)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{url}: not JSON ({exc})") from exc


def write_json(url: str, value: Any, *, indent: int | None = 2, conn: str | None = None,
               options: Mapping[str, Any] | None = None) -> str:
    return write_text(url, json.dumps(value, indent=indent, default=str, ensure_ascii=False) + "\n",
                      conn=conn, options=options)


def read_jsonl(url: str, *, conn: str | None = None,
               options: Mapping[str, Any] | None = None) -> list[Any]:
    """Newline-delimited JSON (one value per line, blank lines skipped); a bad line is a
    ValueError naming it."""
    out = []
    for line, text in enumerate(read_text(url, conn=conn, options=options).splitlines(), start=1):
        if not text.strip():
            continue
        try:
            out.append(json.loads(text))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{url}: line {line} is not JSON ({exc})") from exc
    return out


def write_jsonl(url: str, records: Iterable[Any], *, conn: str | None = None,
                options: Mapping[str, Any] | None = None) -> str:
    """One JSON value per line (what BigQuery, Snowflake and DuckDB load as NDJSON)."""
    lines = "".join(json.dumps(r, default=str, ensure_ascii=False) + "\n" for r in records)
    return write_text(url, lines, conn=conn, options=options)


# -- CSV --------------------------------------------------------------------------------------

def read_csv(url: str, *, delimiter: str = ",", encoding: str = "utf-8-sig",
             conn: str | None = None, options: Mapping[str, Any] | None = None,
             schema: Any = None, dtypes: Mapping[str, Any] | None = None,
             infer: bool = False) -> list[dict[str, Any]]:
    """Rows as dicts keyed by the header (`utf-8-sig` drops a spreadsheet's byte-order mark).
    Values are text unless typed per column (io/csvtypes.py): `schema=` a Contract or JSON
    Schema, `dtypes={"amount": float, ...}`, or `infer=True` (int, float, bool when every
    value of the column is one); an empty field of a typed column is None."""
    from .csvtypes import apply, converters

    text = read_text(url, encoding=encoding, conn=conn, options=options)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    for line, row in enumerate(reader, start=2):
        if None in row:
            raise ValueError(f"{url}: line {line} has more fields than the header")
        rows.append(row)
    return apply(rows, converters(rows, schema=schema, dtypes=dtypes, infer=infer), url)


def write_csv(url: str, records: Iterable[Mapping[str, Any]], *,
              columns: Sequence[str] | None = None, delimiter: str = ",",
              conn: str | None = None, options: Mapping[str, Any] | None = None) -> str:
    """The records with a header: `columns`, or every key in first-seen order; a key not in
    `columns` is refused (nothing is dropped silently); None is an empty field."""
    rows = [dict(r) for r in records]
    names = list(columns) if columns is not None else list(dict.fromkeys(k for r in rows for k in r))
    extra = sorted({k for r in rows for k in r} - set(names))
    if extra:
        raise ValueError(f"{url}: records have keys {extra} not in columns={names}")
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=names, delimiter=delimiter, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return write_text(url, out.getvalue(), conn=conn, options=options)


def delete(url: str, *, conn: str | None = None, options: Mapping[str, Any] | None = None) -> None:
    """Remove one file (a missing one is an error, FileNotFoundError)."""
    path = local_path(url)
    if path is not None:
        path.unlink()
        return
    fs, p = _fs(url, conn, options)
    if not fs.isfile(p):
        raise FileNotFoundError(url)
    fs.rm_file(p)


# -- listing ----------------------------------------------------------------------------------

def ls(url_or_glob: str, *, conn: str | None = None,
       options: Mapping[str, Any] | None = None) -> list[str]:
    """Files under a folder, or matching a glob (`data/2024-*/*.csv`), sorted; non-local ones
    as full URLs so they can be passed back to read_*."""
    path = local_path(url_or_glob)
    is_glob = any(c in url_or_glob for c in GLOB_CHARS)
    if path is not None:
        if is_glob:
            anchor = Path(path.anchor or ".")
            pattern = str(path.relative_to(anchor)) if path.is_absolute() else str(path)
            return sorted(str(p) for p in anchor.glob(pattern) if p.is_file())
        if path.is_file():
            return [str(path)]
        return sorted(str(p) for p in path.iterdir() if p.is_file())
    fs, p = _fs(url_or_glob, conn, options)
    found = fs.glob(p) if is_glob else fs.find(p, maxdepth=1)
    return sorted(fs.unstrip_protocol(f) for f in found if fs.isfile(f))
