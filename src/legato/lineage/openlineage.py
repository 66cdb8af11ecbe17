"""OpenLineage RunEvents of a task try, written as plain JSON (no openlineage-python).

Each task try is one OpenLineage run of the job `<dag_id>.<task_id>`: a START at the try's
start and a COMPLETE (success), FAIL (failed, or failed and up for retry) or ABORT (skipped by
the task itself) at its end, with the task's inlets as inputs and its outlets as outputs. The
runId is a UUID derived from (run id, task, map index, try), so a re-sent event is the same
event; the parent run facet points at the DAG run (job `<dag_id>`), as Airflow's integration
does. Pure: the caller passes what happened.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .. import __version__
from .naming import dataset_name

SPEC_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
PARENT_FACET_URL = "https://openlineage.io/spec/facets/1-0-1/ParentRunFacet.json#/$defs/ParentRunFacet"
ERROR_FACET_URL = ("https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json"
                   "#/$defs/ErrorMessageRunFacet")
SCHEMA_FACET_URL = "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet"
PRODUCER = f"https://github.com/legato-orchestration/legato/tree/v{__version__}"
_NS = uuid.UUID("6f1c3a52-6b0e-4b8e-9d57-4c1b5e0f7a11")     # Legato's UUID namespace; never change
END_TYPES = {"success": "COMPLETE", "failed": "FAIL", "up_for_retry": "FAIL", "skipped": "ABORT"}


@dataclass(frozen=True)
class TryOutcome:
    """What the emitter needs about one finished task try."""
    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    try_number: int
    state: str
    started_at: datetime | None
    ended_at: datetime
    error: str | None = None
    error_type: str | None = None


def run_uuid(run_id: str, task_id: str, map_index: int, try_number: int) -> str:
    return str(uuid.uuid5(_NS, f"{run_id}\x1f{task_id}\x1f{map_index}\x1f{try_number}"))


def dag_run_uuid(run_id: str) -> str:
    return str(uuid.uuid5(_NS, f"dag_run\x1f{run_id}"))


def _time(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _field_type(prop: Any) -> str:
    """A JSON-Schema property's type as the SchemaDatasetFacet's one string: `"string"`, or a
    type list without its null (`["string", "null"]` is a nullable string: `"string"`; two or
    more real types are joined, `"integer|string"`), never a Python repr."""
    kind = prop.get("type", "") if isinstance(prop, dict) else ""
    if isinstance(kind, str):
        return kind
    if isinstance(kind, list):
        named = [str(k) for k in kind if k != "null"] or [str(k) for k in kind]
        return "|".join(named)
    return ""


def _schema_facet(schema: dict[str, Any] | None) -> dict[str, Any] | None:
    props = (schema or {}).get("properties")
    if not isinstance(props, dict) or not props:
        return None
    fields = [{"name": k, "type": _field_type(v)} for k, v in props.items()]
    return {"_producer": PRODUCER, "_schemaURL": SCHEMA_FACET_URL, "fields": fields}


def _datasets(uris: Iterable[str], schemas: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for uri in uris:
        namespace, name = dataset_name(uri)
        ds: dict[str, Any] = {"namespace": namespace, "name": name}
        facet = _schema_facet(schemas.get(uri))
        if facet is not None:
            ds["facets"] = {"schema": facet}
        out.append(ds)
    return out


def _event(kind: str, at: datetime, t: TryOutcome, namespace: str, inputs: list[Any],
           outputs: list[Any], facets: dict[str, Any]) -> dict[str, Any]:
    return {"eventType": kind, "eventTime": _time(at), "producer": PRODUCER, "schemaURL": SPEC_URL,
            "run": {"runId": run_uuid(t.run_id, t.task_id, t.map_index, t.try_number),
                    "facets": facets},
            "job": {"namespace": namespace, "name": f"{t.dag_id}.{t.task_id}"},
            "inputs": inputs, "outputs": outputs}


def try_events(t: TryOutcome, inlets: Iterable[str], outlets: Iterable[str], *,
               namespace: str = "legato",
               schemas: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """[START, end] of the try; [] for a state that ran no try (upstream_failed)."""
    end_type = END_TYPES.get(t.state)
    if end_type is None:
        return []
    inputs, outputs = _datasets(inlets, schemas or {}), _datasets(outlets, schemas or {})
    parent = {"parent": {"_producer": PRODUCER, "_schemaURL": PARENT_FACET_URL,
                         "run": {"runId": dag_run_uuid(t.run_id)},
                         "job": {"namespace": namespace, "name": t.dag_id}}}
    end_facets = dict(parent)
    if end_type == "FAIL" and t.error:
        end_facets["errorMessage"] = {"_producer": PRODUCER, "_schemaURL": ERROR_FACET_URL,
                                      "message": f"{t.error_type + ': ' if t.error_type else ''}"
                                                 f"{t.error}"[:10000],
                                      "programmingLanguage": "python"}
    start = _event("START", t.started_at or t.ended_at, t, namespace, inputs, outputs, parent)
    end = _event(end_type, t.ended_at, t, namespace, inputs, outputs, end_facets)
    return [start, end]
