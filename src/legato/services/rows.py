"""One stored row by its id, for the use cases that show or change one: a missing row is a
`NotFound` naming it, and so is an id no table can hold (checked before any query, so no
database sees an out-of-range integer).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa

from ..config import Settings
from ..errors import NotFound
from ..store.db import open_engine
from ..store.schema import MAX_ROW_ID

Row = TypeVar("Row")


def by_id(settings: Settings, get: Callable[[sa.Connection, int], Row | None], row_id: int,
          what: str) -> Row:
    """`get(conn, row_id)`, or NotFound("no <what> <row_id>")."""
    found = None
    if 1 <= row_id <= MAX_ROW_ID:
        with open_engine(settings.database_url).connect() as conn:
            found = get(conn, row_id)
    if found is None:
        raise NotFound(f"no {what} {row_id}")
    return found
