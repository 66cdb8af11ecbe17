"""The dataset catalog, the read/write references behind lineage, and dataset updates.

`sync_dag` runs whenever a DAG's spec is recorded (store/dags.upsert_dag, only when the spec
changed), so producers and consumers follow re-parsed DAG files. Metadata a DAG describes
overwrites what was there field by field; a bare `Dataset(uri)` adds a row and never erases
what another DAG described. The last update of a dataset is the newest dataset_events row of
its URI (one writer, no hot catalog row to lock on every success).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from . import dialect
from .schema import dataset_events, dataset_refs, datasets

META = ("owner", "domain", "description", "contract", "freshness_s")


@dataclass(frozen=True)
class CatalogRow:
    uri: str
    owner: str | None
    domain: str | None
    description: str | None
    schema: dict[str, Any] | None
    contract: str | None
    freshness_s: float | None
    is_product: bool
    extra: dict[str, Any]
    declared_by: str | None
    updated_at: datetime | None


@dataclass(frozen=True)
class UpdateRow:
    id: int
    uri: str
    dag_id: str | None
    task_id: str | None
    run_id: str | None
    map_index: int
    extra: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class Ref:
    dag_id: str
    task_id: str
    uri: str
    role: str          # inlet | outlet


# -- writing ----------------------------------------------------------------------------

def _spec_refs(spec: dict[str, Any]) -> set[tuple[str, str, str]]:
    out: set[tuple[str, str, str]] = set()
    for task_id, task in (spec.get("tasks") or {}).items():
        for role, key in (("inlet", "inlets"), ("outlet", "outlets")):
            out.update((task_id, uri, role) for uri in task.get(key) or ())
    return out


def sync_dag(conn: sa.Connection, dag_id: str, spec_json: str, now: datetime) -> None:
    """Make the catalog and the references agree with this spec of `dag_id`."""
    spec = json.loads(spec_json)
    wanted = _spec_refs(spec)
    have = {(r.task_id, r.uri, r.role) for r in conn.execute(
        sa.select(dataset_refs).where(dataset_refs.c.dag_id == dag_id))}
    for task_id, uri, role in have - wanted:
        conn.execute(dataset_refs.delete().where(
            dataset_refs.c.dag_id == dag_id, dataset_refs.c.task_id == task_id,
            dataset_refs.c.uri == uri, dataset_refs.c.role == role))
    if wanted - have:
        conn.execute(dialect.insert_ignoring(conn, dataset_refs, ["dag_id", "task_id", "uri", "role"]),
                     [{"dag_id": dag_id, "task_id": t, "uri": u, "role": r}
                      for t, u, r in sorted(wanted - have)])
    entries = list(spec.get("datasets") or ())
    ensure(conn, {u for _, u, _ in wanted} | {e["uri"] for e in entries}, now)
    for entry in entries:
        describe(conn, entry, dag_id, now)


def ensure(conn: sa.Connection, uris: Iterable[str], now: datetime) -> None:
    """A catalog row for each URI (metadata unknown until a DAG describes it)."""
    rows = [{"uri": u, "is_product": False, "extra_json": "{}", "created_at": now,
             "updated_at": now} for u in sorted(set(uris))]
    if rows:
        conn.execute(dialect.insert_ignoring(conn, datasets, ["uri"]), rows)


def describe(conn: sa.Connection, entry: dict[str, Any], dag_id: str | None,
             now: datetime) -> None:
    """Overwrite the metadata `entry` states (None and absent fields are left alone)."""
    values: dict[str, Any] = {k: entry[k] for k in META if entry.get(k) is not None}
    if entry.get("schema") is not None:
        values["schema_json"] = json.dumps(entry["schema"], sort_keys=True)
    if entry.get("product"):
        values["is_product"] = True
    if entry.get("extra"):
        values["extra_json"] = json.dumps(entry["extra"], sort_keys=True, default=str)
    if not values:
        return
    conn.execute(datasets.update().where(datasets.c.uri == entry["uri"])
                 .values(**values, declared_by=dag_id, updated_at=now))


def record_updates(conn: sa.Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert dataset_events rows (uri, dag_id, task_id, run_id, map_index, extra, created_at)."""
    if rows:
        conn.execute(dataset_events.insert(), [
            {**{k: v for k, v in r.items() if k != "extra"},
             "extra_json": json.dumps(r.get("extra") or {}, sort_keys=True, default=str)}
            for r in rows])


# -- reading ----------------------------------------------------------------------------

def _catalog(r: Any) -> CatalogRow:
    return CatalogRow(r.uri, r.owner, r.domain, r.description,
                      json.loads(r.schema_json) if r.schema_json else None, r.contract,
                      r.freshness_s, bool(r.is_product), json.loads(r.extra_json or "{}"),
                      r.declared_by, r.updated_at)


def _update(r: Any) -> UpdateRow:
    return UpdateRow(r.id, r.uri, r.dag_id, r.task_id, r.run_id, r.map_index,
                     json.loads(r.extra_json or "{}"), r.created_at)


def entries(conn: sa.Connection, domain: str | None = None) -> list[CatalogRow]:
    q = sa.select(datasets).order_by(datasets.c.uri)
    if domain is not None:
        q = q.where(datasets.c.domain == domain)
    return [_catalog(r) for r in conn.execute(q)]


def entry(conn: sa.Connection, uri: str) -> CatalogRow | None:
    r = conn.execute(sa.select(datasets).where(datasets.c.uri == uri)).first()
    return None if r is None else _catalog(r)


def schemas(conn: sa.Connection, uris: Iterable[str]) -> dict[str, dict[str, Any]]:
    """uri -> JSON Schema, for the URIs that have one."""
    wanted = sorted(set(uris))
    if not wanted:
        return {}
    q = sa.select(datasets.c.uri, datasets.c.schema_json).where(
        datasets.c.uri.in_(wanted), datasets.c.schema_json.is_not(None))
    return {r.uri: json.loads(r.schema_json) for r in conn.execute(q)}


def updated_uris(conn: sa.Connection) -> set[str]:
    """URIs that have updates, catalogued or not (an update may name an undeclared URI)."""
    return set(conn.execute(sa.select(dataset_events.c.uri).distinct()).scalars())


def last_updates(conn: sa.Connection, uris: Iterable[str] | None = None) -> dict[str, UpdateRow]:
    """The newest update of each URI (of `uris`, or of all)."""
    newest = sa.select(sa.func.max(dataset_events.c.id)).group_by(dataset_events.c.uri)
    if uris is not None:
        wanted = sorted(set(uris))
        if not wanted:
            return {}
        newest = newest.where(dataset_events.c.uri.in_(wanted))
    q = sa.select(dataset_events).where(dataset_events.c.id.in_(newest.scalar_subquery()))
    return {r.uri: _update(r) for r in conn.execute(q)}


def recent_updates(conn: sa.Connection, uri: str, limit: int = 20) -> list[UpdateRow]:
    q = (sa.select(dataset_events).where(dataset_events.c.uri == uri)
         .order_by(dataset_events.c.id.desc()).limit(limit))
    return [_update(r) for r in conn.execute(q)]


def refs(conn: sa.Connection, uri: str | None = None) -> list[Ref]:
    """Every read/write reference (of one URI, or all: the lineage graph's edges)."""
    q = sa.select(dataset_refs).order_by(dataset_refs.c.dag_id, dataset_refs.c.task_id,
                                         dataset_refs.c.uri, dataset_refs.c.role)
    if uri is not None:
        q = q.where(dataset_refs.c.uri == uri)
    return [Ref(r.dag_id, r.task_id, r.uri, r.role) for r in conn.execute(q)]


def task_refs(conn: sa.Connection, tasks: Iterable[tuple[str, str]]
              ) -> dict[tuple[str, str], list[Ref]]:
    """(dag_id, task_id) -> its references, for the tasks named: one query per batch."""
    wanted = sorted(set(tasks))
    out: dict[tuple[str, str], list[Ref]] = {}
    if not wanted:
        return out
    q = (sa.select(dataset_refs)
         .where(sa.tuple_(dataset_refs.c.dag_id, dataset_refs.c.task_id).in_(wanted))
         .order_by(dataset_refs.c.uri))
    for r in conn.execute(q):
        out.setdefault((r.dag_id, r.task_id), []).append(Ref(r.dag_id, r.task_id, r.uri, r.role))
    return out
