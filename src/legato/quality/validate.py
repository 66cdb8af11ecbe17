"""`validate(records, contract)`: keep the good records, dead-letter the bad, fail past a ratio.

Called inside a task, it finds the running try through `current_context()` and attributes
every dead letter to its dag, task, run, map index and try. The letters are written from the
worker (thread or process) through its own connection to the metadata database — they are a
data store, not run state — in one transaction, idempotently: each letter's key hashes
where it came from, so writing the same batch again stores nothing twice. A later try of the
same task supersedes the letters of earlier tries (the data was validated again).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from ..authoring.context import Context, current_context
from .contract import Contract, Reason
from .destinations import Destination
from .errors import DataQualityError

_BATCH = 1000


def validate(records: Iterable[Any], contract: Contract, max_reject_ratio: float = 0.05, *,
             destination: Destination | str | None = None, source: str | None = None) -> Any:
    """The records that pass `contract`, in order (a DataFrame in gives a DataFrame out).

    Every failing record goes to the dead-letter store with all its reasons. `destination`
    is where `legato dlq replay` delivers a fixed record: a destination object or the name of
    one (define it, like the contract, at module level in the DAG file). More than
    `max_reject_ratio` of the records failing raises DataQualityError, after the dead letters
    are written."""
    if not isinstance(contract, Contract):
        raise TypeError(f"validate() needs a Contract, not {type(contract).__name__}")
    dest_name = _destination_name(destination)
    if not 0 <= max_reject_ratio <= 1:
        raise ValueError(f"max_reject_ratio must be between 0 and 1, not {max_reject_ratio}")
    frame, rows = _as_rows(records)
    valid_idx: list[int] = []
    rejected: list[tuple[int, Any, list[Reason]]] = []
    for i, record in enumerate(rows):
        reasons = contract.check(record)
        if reasons:
            rejected.append((i, record, reasons))
        else:
            valid_idx.append(i)
    ctx = current_context()
    if rejected:
        write_dead_letters(rejected, contract, ctx, destination=dest_name, source=source)
    _log(ctx, contract, len(rows), len(rejected))
    ratio = len(rejected) / len(rows) if rows else 0.0
    if ratio > max_reject_ratio:
        raise DataQualityError(
            f"contract {contract.name!r}: {len(rejected)} of {len(rows)} records rejected "
            f"({ratio:.1%}), over max_reject_ratio {max_reject_ratio:.1%}; "
            f"the rejected records are in the dead-letter store (legato dlq list)")
    if frame is not None:
        return frame.iloc[valid_idx]
    return [rows[i] for i in valid_idx]


def _destination_name(destination: Destination | str | None) -> str | None:
    if destination is None or isinstance(destination, str):
        return destination
    name = getattr(destination, "name", None)
    if not isinstance(name, str) or not callable(getattr(destination, "deliver", None)):
        raise TypeError(f"destination must be a Destination (SqlTable, @destination) or its "
                        f"name, not {type(destination).__name__}")
    return name


def _as_rows(records: Iterable[Any]) -> tuple[Any, list[Any]]:
    """(the DataFrame or None, the records as a list of dicts)."""
    if hasattr(records, "to_dict") and hasattr(records, "iloc"):
        return records, records.to_dict("records")  # type: ignore[attr-defined]
    return None, list(records)


def _log(ctx: Context | None, contract: Contract, total: int, rejected: int) -> None:
    if ctx is not None:
        ctx.log.info("contract %r: %d of %d records valid, %d dead-lettered",
                     contract.name, total - rejected, total, rejected)


def _call_seq(ctx: Context | None) -> int:
    """The nth validate() call in this try (0, 1, ...), so two calls' letters never collide."""
    if ctx is None:
        return 0
    seq = getattr(ctx, "_quality_calls", 0)
    ctx._quality_calls = seq + 1  # type: ignore[attr-defined]
    return seq


def letter_key(*parts: Any) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()


def write_dead_letters(rejected: Sequence[tuple[int, Any, list[Reason]]], contract: Contract,
                       ctx: Context | None, *, destination: str | None = None,
                       source: str | None = None) -> None:
    from ..config import store_in_use
    from ..store import dead_letters as store
    from ..store.db import open_engine

    seq = _call_seq(ctx)
    now = datetime.now(UTC)
    where = _attribution(ctx, seq)
    rows = [dict(where, key=letter_key(where["run_id"] or where["_adhoc"], where["task_id"],
                                       where["map_index"], where["try_number"], contract.name,
                                       seq, i),
                 record_index=i, record=record, errors=reasons, contract=contract.name,
                 destination=destination, source=source, created_at=now)
            for i, record, reasons in rejected]
    for row in rows:
        row.pop("_adhoc")
    engine = open_engine(store_in_use().database_url)
    with engine.begin() as conn:
        if ctx is not None and ctx.try_number > 1:
            store.supersede_earlier_tries(conn, run_id=ctx.run_id, task_id=ctx.task_id,
                                          map_index=ctx.map_index, call_seq=seq,
                                          try_number=ctx.try_number, at=now)
        for start in range(0, len(rows), _BATCH):
            store.insert_many(conn, rows[start:start + _BATCH])


def _attribution(ctx: Context | None, seq: int) -> dict[str, Any]:
    if ctx is None:
        return {"dag_id": None, "task_id": None, "run_id": None, "map_index": -1,
                "try_number": 0, "call_seq": seq, "fileloc": None, "_adhoc": uuid.uuid4().hex}
    return {"dag_id": ctx.dag_id, "task_id": ctx.task_id, "run_id": ctx.run_id,
            "map_index": ctx.map_index, "try_number": ctx.try_number, "call_seq": seq,
            "fileloc": getattr(ctx.dag, "fileloc", None), "_adhoc": ""}
