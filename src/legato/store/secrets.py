"""Encrypted connections and variables in the store: rows of ciphertext, never plaintext.

This module only moves opaque tokens in and out; encryption lives in legato.security.secrets
(the store imports SQLAlchemy and the standard library only). Every function takes the
connection, so a rotation re-encrypts every row in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from . import dialect
from .schema import secret_connections, secret_variables


@dataclass(frozen=True)
class SecretRow:
    """One stored secret: `name` is the connection id or the variable name."""

    kind: str                    # "connection" | "variable"
    name: str
    ciphertext: str
    key_id: str
    updated_at: datetime
    conn_type: str | None = None


def _table(kind: str) -> sa.Table:
    return secret_connections if kind == "connection" else secret_variables


def _key_col(kind: str) -> sa.Column[Any]:
    table = _table(kind)
    return table.c.conn_id if kind == "connection" else table.c.name


def _row(kind: str, r: sa.Row[Any]) -> SecretRow:
    if kind == "connection":
        return SecretRow(kind, r.conn_id, r.ciphertext, r.key_id, r.updated_at, r.conn_type)
    return SecretRow(kind, r.name, r.ciphertext, r.key_id, r.updated_at)


def put(conn: sa.Connection, kind: str, name: str, ciphertext: str, key_id: str, now: datetime,
        conn_type: str | None = None) -> bool:
    """Insert or replace one secret; True if it was new. Of several first puts of one name at
    once, one inserts and the others replace its value (none fails on the primary key)."""
    table, key = _table(kind), _key_col(kind)
    values: dict[str, object] = {"ciphertext": ciphertext, "key_id": key_id, "updated_at": now}
    if kind == "connection":
        values["conn_type"] = conn_type or ""
    row = {key.name: name, "created_at": now, **values}
    if dialect.insert_if_absent(conn, table, row, [key.name], key) is not None:
        return True
    conn.execute(sa.update(table).where(key == name).values(**values))
    return False


def get(conn: sa.Connection, kind: str, name: str) -> SecretRow | None:
    r = conn.execute(sa.select(_table(kind)).where(_key_col(kind) == name)).first()
    return None if r is None else _row(kind, r)


def list_all(conn: sa.Connection, kind: str) -> list[SecretRow]:
    rows = conn.execute(sa.select(_table(kind)).order_by(_key_col(kind)))
    return [_row(kind, r) for r in rows]


def delete(conn: sa.Connection, kind: str, name: str) -> bool:
    return bool(conn.execute(sa.delete(_table(kind)).where(_key_col(kind) == name)).rowcount)


def replace_ciphertext(conn: sa.Connection, kind: str, name: str, old_ciphertext: str,
                       ciphertext: str, key_id: str) -> bool:
    """Re-encrypted in place (rotation); False if the row changed meanwhile (compare-and-set)."""
    table, key = _table(kind), _key_col(kind)
    done = conn.execute(sa.update(table)
                        .where(key == name, table.c.ciphertext == old_ciphertext)
                        .values(ciphertext=ciphertext, key_id=key_id))
    return bool(done.rowcount)
