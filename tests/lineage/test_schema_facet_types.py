"""The OpenLineage schema facet carries JSON-Schema types as strings a consumer can read, never a
Python repr of a type list (issue 10 item 24)."""

from __future__ import annotations

from datetime import UTC, datetime

from legato.lineage.openlineage import TryOutcome, try_events

SCHEMA = {"type": "object", "properties": {
    "id": {"type": "integer"},
    "note": {"type": ["string", "null"]},
    "code": {"type": ["integer", "string"]},
    "blob": {},
    "odd": "not a schema",
}}


def test_type_lists_become_readable_strings() -> None:
    now = datetime(2024, 1, 1, tzinfo=UTC)
    outcome = TryOutcome("d", "r", "t", -1, 1, "success", now, now)
    _, done = try_events(outcome, [], ["duckdb://wh/t"], schemas={"duckdb://wh/t": SCHEMA})
    fields = done["outputs"][0]["facets"]["schema"]["fields"]
    assert fields == [{"name": "id", "type": "integer"}, {"name": "note", "type": "string"},
                      {"name": "code", "type": "integer|string"}, {"name": "blob", "type": ""},
                      {"name": "odd", "type": ""}]
    assert not any("[" in f["type"] or "'" in f["type"] for f in fields)
