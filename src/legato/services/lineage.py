"""Catalog and lineage use cases, once, for the CLI, the API and the UI.

The catalog holds what DAGs recorded in the store declare (the scheduler, `dag.run()` and a
trigger record a DAG's spec); freshness is judged now, against each dataset's SLO and its
newest update. A URI that only appears in updates (written by something outside any DAG's
outlets) is listed too, with unknown metadata.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..config import Settings
from ..errors import InvalidInput
from ..lineage.freshness import STALE, freshness_state
from ..lineage.graph import DIRECTIONS, walk
from ..store import datasets as store
from ..store.db import open_engine
from .queries import NotFound

MAX_DEPTH = 20
MAX_URI = 1000


@dataclass(frozen=True)
class DatasetView:
    uri: str
    owner: str | None
    domain: str | None
    description: str | None
    is_product: bool
    contract: str | None
    freshness_s: float | None
    freshness: str
    last_update: store.UpdateRow | None
    producers: list[str] = field(default_factory=list)     # "dag_id.task_id"
    consumers: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        u = self.last_update
        return {"uri": self.uri, "owner": self.owner, "domain": self.domain,
                "description": self.description, "product": self.is_product,
                "contract": self.contract, "freshness_slo_s": self.freshness_s,
                "freshness": self.freshness, "producers": self.producers,
                "consumers": self.consumers,
                "last_update": None if u is None else _update_json(u)}


@dataclass(frozen=True)
class DatasetDetail:
    dataset: DatasetView
    schema: dict[str, Any] | None
    extra: dict[str, Any]
    declared_by: str | None
    updates: list[store.UpdateRow]

    def to_json(self) -> dict[str, Any]:
        return {**self.dataset.to_json(), "schema": self.schema, "extra": self.extra,
                "declared_by": self.declared_by,
                "updates": [_update_json(u) for u in self.updates]}


def _update_json(u: store.UpdateRow) -> dict[str, Any]:
    return {"at": u.created_at.isoformat(), "dag_id": u.dag_id, "task_id": u.task_id,
            "run_id": u.run_id, "map_index": u.map_index, "extra": u.extra}


def check_uri(uri: str) -> str:
    if not uri or len(uri) > MAX_URI or "\x00" in uri:
        raise InvalidInput("a dataset URI is 1 to 1000 characters, without NUL")
    return uri


def _blank(uri: str) -> store.CatalogRow:
    return store.CatalogRow(uri, None, None, None, None, None, None, False, {}, None, None)


def _view(row: store.CatalogRow, last: store.UpdateRow | None, refs: list[store.Ref],
          now: datetime) -> DatasetView:
    mine = [r for r in refs if r.uri == row.uri]
    return DatasetView(
        row.uri, row.owner, row.domain, row.description, row.is_product, row.contract,
        row.freshness_s, freshness_state(row.freshness_s, last.created_at if last else None, now),
        last, sorted({f"{r.dag_id}.{r.task_id}" for r in mine if r.role == "outlet"}),
        sorted({f"{r.dag_id}.{r.task_id}" for r in mine if r.role == "inlet"}))


def list_datasets(settings: Settings, *, domain: str | None = None, stale: bool = False,
                  now: datetime | None = None) -> list[DatasetView]:
    """The catalog (of one domain; only the stale ones), by URI."""
    now = now or datetime.now(UTC)
    with open_engine(settings.database_url).connect() as conn:
        rows = {r.uri: r for r in store.entries(conn, domain)}
        if domain is None:
            for uri in store.updated_uris(conn) - rows.keys():
                rows[uri] = _blank(uri)
        last = store.last_updates(conn, rows)
        refs = store.refs(conn)
    views = [_view(rows[u], last.get(u), refs, now) for u in sorted(rows)]
    return [v for v in views if v.freshness == STALE] if stale else views


def show_dataset(settings: Settings, uri: str, *, updates: int = 20,
                 now: datetime | None = None) -> DatasetDetail:
    check_uri(uri)
    with open_engine(settings.database_url).connect() as conn:
        row = store.entry(conn, uri)
        recent = store.recent_updates(conn, uri, updates)
        refs = store.refs(conn, uri)
    if row is None and not recent:
        raise NotFound(f"no dataset {uri!r} in the catalog")
    row = row or _blank(uri)
    view = _view(row, recent[0] if recent else None, refs, now or datetime.now(UTC))
    return DatasetDetail(view, row.schema, row.extra, row.declared_by, recent)


def lineage(settings: Settings, uri: str, *, direction: str = "both",
            depth: int = 3) -> dict[str, Any]:
    """{root, nodes, edges} within `depth` steps of `uri` (see lineage/graph.py)."""
    check_uri(uri)
    if direction not in DIRECTIONS:
        raise InvalidInput(f"direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
    if not 1 <= depth <= MAX_DEPTH:
        raise InvalidInput(f"depth must be between 1 and {MAX_DEPTH}, not {depth}")
    with open_engine(settings.database_url).connect() as conn:
        known = store.entry(conn, uri) is not None or bool(store.recent_updates(conn, uri, 1))
        refs = store.refs(conn)
        meta = {r.uri: r for r in store.entries(conn)}
        last = store.last_updates(conn)
    if not known:
        raise NotFound(f"no dataset {uri!r} in the catalog")
    graph = walk(refs, uri, direction, depth).to_json()
    now = datetime.now(UTC)
    for node in graph["nodes"]:
        if node["kind"] == "dataset":
            row = meta.get(node["uri"]) or _blank(node["uri"])
            up = last.get(node["uri"])
            node.update(owner=row.owner, domain=row.domain, product=row.is_product,
                        freshness=freshness_state(row.freshness_s, up.created_at if up else None, now))
    return graph
