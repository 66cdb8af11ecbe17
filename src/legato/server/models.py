"""The API's response shapes, once, as pydantic models: the OpenAPI document is generated from
them, and FastAPI checks every answer against them, so the document says what the API sends.

Times are ISO 8601 strings as the services write them (`...+00:00`), kept as strings so that
nothing reformats them. Every model allows extra fields: a service that adds one shows it
without breaking the API (add it here to document it). `errors(...)` builds the documented
error answers of an operation; every error body is `{"detail": "<message>"}`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

Time = str           # ISO 8601 with offset, e.g. 2024-05-01T00:00:00+00:00


class Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class ErrorBody(BaseModel):
    detail: str = Field(description="What was wrong, written for people.")


_WHY = {
    400: "Bad input the schema cannot express (the message says what).",
    401: "No valid token: missing, unknown, revoked or expired.",
    403: "The token's role is too low for this operation.",
    404: "Not found (the message says what).",
    409: "The request clashes with the current state or with work in progress.",
    413: "The request body is over the limit (LEGATO_MAX_REQUEST_BYTES, or 1 MiB for events).",
    415: "The body is not application/json.",
    422: "A parameter or the body does not match this document (the message says which).",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The documented error answers `codes`, plus 429 (every route but health is limited)."""
    out: dict[int | str, dict[str, Any]] = {
        code: {"model": ErrorBody, "description": _WHY[code]} for code in codes}
    out[429] = {"model": ErrorBody, "description": "Over the per-client rate limit.",
                "headers": {"Retry-After": {"description": "Seconds to wait.",
                                            "schema": {"type": "integer"}}}}
    return out


class Health(BaseModel):
    status: str


# -- DAGs and runs ---------------------------------------------------------------------------

class Dag(Out):
    dag_id: str
    file: str
    schedule: str | None
    tasks: int
    tags: list[str]
    is_paused: bool
    next_run: Time | None
    on_event: bool = False


class ImportProblem(Out):
    file: str
    line: int | None
    error: str


class DagList(Out):
    dags: list[Dag]
    errors: list[ImportProblem]


class Paused(Out):
    dag_id: str
    is_paused: bool


class Run(Out):
    run_id: str
    dag_id: str
    run_type: str
    state: str
    logical_date: Time | None
    data_interval_start: Time | None
    data_interval_end: Time | None
    params: dict[str, Any] | None
    created_at: Time | None
    start_date: Time | None
    end_date: Time | None
    note: str | None = None


class TaskOutcome(Out):
    state: str
    tries: int
    start: Time | None
    end: Time | None
    error: str | None
    callback_error: str | None = None       # its callback raised (the state is unchanged)


class RunDetail(Out):
    dag_id: str
    run_id: str
    logical_date: Time
    state: str
    note: str | None = None
    callback_error: str | None = None       # a DAG-level callback of the run that raised
    tasks: dict[str, TaskOutcome]


class AuditEntry(Out):
    id: int
    at: Time
    actor: str
    action: str
    target: str
    detail: dict[str, Any]


class Token(Out):
    id: int
    name: str | None
    role: str
    state: str = Field(description="active, expired or revoked")
    created_at: Time
    expires_at: Time | None
    revoked_at: Time | None


class NewToken(Token):
    token: str = Field(description="The token itself: shown only in this answer.")


class Revoked(Token):
    changed: bool = Field(description="False if the token was already revoked.")


# -- incidents ---------------------------------------------------------------------------------

class Incident(Out):
    id: int
    fingerprint: str
    kind: str
    state: str
    severity: str | None
    dag_id: str | None
    task_id: str | None
    run_id: str | None
    logical_date: Time | None
    error: str | None
    error_type: str | None
    tries: int | None
    occurrences: int
    opened_at: Time | None
    updated_at: Time | None
    resolved_at: Time | None
    sinks: list[str | None]


class IncidentEvent(Out):
    event: str
    reason: str | None
    run_id: str | None
    try_number: int | None
    error: str | None
    at: Time


class IncidentDelivery(Out):
    id: int
    sink: str | None
    event: str
    state: str
    attempts: int
    next_attempt_at: Time | None
    delivered_at: Time | None
    last_error: str | None


class IncidentDetail(Incident):
    events: list[IncidentEvent]
    deliveries: list[IncidentDelivery]


class DagFigures(Out):
    dag_id: str | None
    open: int
    resolved: int
    mttr_s: float | None


class Figures(Out):
    open: int
    mttr_s: float | None
    dags: list[DagFigures]


# -- dead letters and drift --------------------------------------------------------------------

class DeadLetter(Out):
    id: int
    dag_id: str | None
    task_id: str | None
    run_id: str | None
    contract: str
    record: Any = Field(description="The record as refused, secrets masked.")
    errors: list[dict[str, Any]]
    status: str
    created_at: Time
    map_index: int
    try_number: int
    record_index: int
    source: str | None
    destination: str | None
    updated_at: Time
    replayed_at: Time | None


class ReplayReport(Out):
    replayed: list[int]
    still_invalid: dict[str, list[dict[str, Any]]]
    skipped: dict[str, str]
    failed: dict[str, str]


class DriftReport(Out):
    id: int
    dataset: str
    dag_id: str | None
    task_id: str | None
    run_id: str | None
    status: str
    threshold: float | None
    report: dict[str, Any]
    quarantine_path: str | None
    created_at: Time


class Reference(Out):
    dataset: str
    pinned: bool
    run_id: str | None
    created_at: Time
    profile: dict[str, Any]


# -- datasets and lineage ----------------------------------------------------------------------

class DatasetUpdate(Out):
    at: Time
    dag_id: str | None
    task_id: str | None
    run_id: str | None
    map_index: int | None
    extra: dict[str, Any] | None


class Dataset(Out):
    uri: str
    owner: str | None
    domain: str | None
    description: str | None
    product: bool
    contract: str | None
    freshness_slo_s: float | None
    freshness: str
    producers: list[str]
    consumers: list[str]
    last_update: DatasetUpdate | None


class DatasetDetail(Dataset):
    schema_: dict[str, Any] | None = Field(alias="schema")
    extra: dict[str, Any] | None
    declared_by: str | None
    updates: list[DatasetUpdate]

    model_config = ConfigDict(extra="allow", populate_by_name=True, serialize_by_alias=True)


class LineageNode(Out):
    id: str
    kind: str = Field(description="dataset or task")


class LineageEdge(Out):
    source: str
    target: str
    kind: str = Field(description="reads (dataset -> task) or writes (task -> dataset)")


class Lineage(Out):
    root: str
    nodes: list[LineageNode]
    edges: list[LineageEdge]


# -- events ------------------------------------------------------------------------------------

class Received(Out):
    dag_id: str
    id: int
    duplicate: bool


class Delivery(Out):
    name: str
    event_id: str
    received: list[Received]


class Published(Out):
    topic: str
    queue: str
    message_id: int | str = Field(description="The embedded queue's message id, or the broker's.")
    listeners: list[str] | None = None
    where: str | None = None


class ReceivedEvent(Out):
    id: int
    dag_id: str
    source: str
    key: str
    payload: Any
    received_at: Time
    run_id: str | None
    consumed_at: Time | None
