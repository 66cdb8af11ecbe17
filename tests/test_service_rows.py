"""services.rows.by_id: one row by its id, or a NotFound naming it; an id no table can hold
is refused before any query (so no database sees an out-of-range integer)."""

from __future__ import annotations

import pytest

from legato.config import load_settings
from legato.errors import NotFound
from legato.services.rows import by_id
from legato.store.schema import MAX_ROW_ID


def test_a_row_is_found_and_a_missing_one_is_not_found_by_name() -> None:
    asked: list[int] = []

    def get(conn: object, row_id: int) -> str | None:
        asked.append(row_id)
        return "seven" if row_id == 7 else None

    settings = load_settings()
    assert by_id(settings, get, 7, "widget") == "seven"
    with pytest.raises(NotFound, match=r"^no widget 8$"):
        by_id(settings, get, 8, "widget")
    for bad in (0, -1, MAX_ROW_ID + 1):
        with pytest.raises(NotFound, match=rf"^no widget {bad}$"):
            by_id(settings, get, bad, "widget")
    assert asked == [7, 8]                      # out-of-range ids never reach the store
