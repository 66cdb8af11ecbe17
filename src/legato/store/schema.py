"""The metadata tables, in one place (SQLAlchemy Core).

Times are stored as timezone-aware UTC (naive UTC text on SQLite, TIMESTAMPTZ on PostgreSQL).
Column and table names are a stored format: add columns, never rename them; every change
comes with an Alembic migration in migrations/versions/.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, whatever the backend keeps."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored; attach a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value


metadata = sa.MetaData()
MAX_ROW_ID = 2**31 - 1        # integer ids are 32-bit on PostgreSQL: nothing above this exists

dags = sa.Table(
    "dags", metadata,
    sa.Column("dag_id", sa.String(250), primary_key=True),
    sa.Column("fileloc", sa.Text, nullable=False),
    sa.Column("spec_json", sa.Text, nullable=False),
    sa.Column("is_paused", sa.Boolean, nullable=False, default=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

dag_runs = sa.Table(
    "dag_runs", metadata,
    sa.Column("run_id", sa.String(250), primary_key=True),
    sa.Column("dag_id", sa.String(250), nullable=False),
    sa.Column("run_type", sa.String(20), nullable=False),
    sa.Column("logical_date", UtcDateTime, nullable=False),
    sa.Column("data_interval_start", UtcDateTime, nullable=False),
    sa.Column("data_interval_end", UtcDateTime, nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("params_json", sa.Text, nullable=False, default="{}"),
    sa.Column("event_json", sa.Text, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("start_date", UtcDateTime, nullable=True),
    sa.Column("end_date", UtcDateTime, nullable=True),
    sa.Column("owner", sa.String(32), nullable=True),     # schedulers.id driving it (0011)
    sa.Column("note", sa.Text, nullable=True),            # an operator's note (0013)
    sa.Column("callback_error", sa.Text, nullable=True),  # a DAG callback that raised (0013)
    sa.Index("ix_dag_runs_dag_logical", "dag_id", "logical_date"),
    sa.Index("ix_dag_runs_created", "created_at"),
    sa.Index("ix_dag_runs_state_owner", "state", "owner"),
)

task_instances = sa.Table(
    "task_instances", metadata,
    sa.Column("run_id", sa.String(250), primary_key=True),
    sa.Column("task_id", sa.String(250), primary_key=True),
    sa.Column("map_index", sa.Integer, primary_key=True),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("try_number", sa.Integer, nullable=False, default=0),
    sa.Column("next_try_at", UtcDateTime, nullable=True),
    sa.Column("start_date", UtcDateTime, nullable=True),
    sa.Column("end_date", UtcDateTime, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("error_type", sa.String(250), nullable=True),
)

task_tries = sa.Table(
    "task_tries", metadata,
    sa.Column("run_id", sa.String(250), primary_key=True),
    sa.Column("task_id", sa.String(250), primary_key=True),
    sa.Column("map_index", sa.Integer, primary_key=True),
    sa.Column("try_number", sa.Integer, primary_key=True),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("start_date", UtcDateTime, nullable=True),
    sa.Column("end_date", UtcDateTime, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("error_type", sa.String(250), nullable=True),
    sa.Column("log_path", sa.Text, nullable=True),
    sa.Column("log_error", sa.Text, nullable=True),       # why the try's log is missing (0013)
    sa.Column("log_text", sa.Text, nullable=True),        # a short try's whole log (0013)
    sa.Column("callback_error", sa.Text, nullable=True),  # its callback raised (0014)
)

xcom = sa.Table(
    "xcom", metadata,
    sa.Column("run_id", sa.String(250), primary_key=True),
    sa.Column("task_id", sa.String(250), primary_key=True),
    sa.Column("map_index", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(250), primary_key=True),
    sa.Column("value_json", sa.Text, nullable=True),   # inline JSON, below the size threshold
    sa.Column("path", sa.Text, nullable=True),         # relative to $LEGATO_HOME/results
    sa.Column("size", sa.Integer, nullable=False),
)

sla_misses = sa.Table(
    "sla_misses", metadata,
    sa.Column("run_id", sa.String(250), primary_key=True),
    sa.Column("dag_id", sa.String(250), nullable=False),
    sa.Column("deadline", UtcDateTime, nullable=False),
    sa.Column("detected_at", UtcDateTime, nullable=False),
)

api_tokens = sa.Table(
    "api_tokens", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(250), nullable=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False),   # sha256 hex; the token is never kept
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=True),      # NULL: never expires (0012)
    sa.Column("revoked_at", UtcDateTime, nullable=True),      # set by `legato tokens revoke` (0012)
    sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
)

audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("actor", sa.String(300), nullable=False),       # "name (role)" of the API token
    sa.Column("action", sa.String(20), nullable=False),       # trigger | pause | unpause | replay
    sa.Column("target", sa.String(250), nullable=False),      # dag id or run id
    sa.Column("detail_json", sa.Text, nullable=False, default="{}"),
    sa.Index("ix_audit_log_at", "at"),
)

# --- server state (issue 4): tables below this line ---

idempotency_keys = sa.Table(
    "idempotency_keys", metadata,
    sa.Column("dag_id", sa.String(250), primary_key=True),
    sa.Column("key", sa.String(250), primary_key=True),      # the client's Idempotency-Key header
    sa.Column("run_id", sa.String(250), nullable=True),      # NULL while the claiming trigger runs
    sa.Column("created_at", UtcDateTime, nullable=False),
)

# --- incidents and outbox (issue 5): tables below this line ---

incidents = sa.Table(
    "incidents", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uid", sa.String(32), nullable=False),               # random; dedup keys for sinks
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("open_key", sa.String(64), nullable=True),           # = fingerprint while open
    sa.Column("kind", sa.String(20), nullable=False),    # task_failure|sensor_timeout|sla_miss|data_quality
    sa.Column("state", sa.String(10), nullable=False),   # open | resolved
    sa.Column("severity", sa.String(10), nullable=False),
    sa.Column("dag_id", sa.String(250), nullable=False),
    sa.Column("task_id", sa.String(250), nullable=True),
    sa.Column("map_index", sa.Integer, nullable=False, default=-1),
    sa.Column("error_type", sa.String(250), nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("run_id", sa.String(250), nullable=True),            # of the latest occurrence
    sa.Column("logical_date", UtcDateTime, nullable=True),
    sa.Column("try_number", sa.Integer, nullable=False, default=0),
    sa.Column("tries", sa.Integer, nullable=False, default=0),
    sa.Column("occurrences", sa.Integer, nullable=False, default=1),
    sa.Column("sinks_json", sa.Text, nullable=False, default="[]"),  # sink specs fixed at opening
    sa.Column("opened_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("resolved_at", UtcDateTime, nullable=True),
    sa.UniqueConstraint("open_key", name="uq_incidents_open_key"),
    sa.Index("ix_incidents_dag_state", "dag_id", "state"),
    sa.Index("ix_incidents_opened", "opened_at"),
)

incident_events = sa.Table(
    "incident_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("incident_id", sa.Integer, nullable=False),
    sa.Column("event", sa.String(30), nullable=False),   # incident.opened|updated|resolved
    sa.Column("reason", sa.String(20), nullable=False),  # opened|occurrence|retry|resolved
    sa.Column("run_id", sa.String(250), nullable=True),
    sa.Column("try_number", sa.Integer, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Index("ix_incident_events_incident", "incident_id"),
)

outbox = sa.Table(
    "outbox", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("incident_id", sa.Integer, nullable=False),
    sa.Column("sink_key", sa.String(64), nullable=False),
    sa.Column("sink_json", sa.Text, nullable=False),
    sa.Column("event", sa.String(30), nullable=False),
    sa.Column("payload_json", sa.Text, nullable=False),
    sa.Column("state", sa.String(10), nullable=False),   # pending | delivered | dead
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("next_attempt_at", UtcDateTime, nullable=False),
    sa.Column("claimed_by", sa.String(32), nullable=True),
    sa.Column("claimed_until", UtcDateTime, nullable=True),
    sa.Column("delivered_at", UtcDateTime, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Index("ix_outbox_state_id", "state", "id"),
)

incident_refs = sa.Table(
    "incident_refs", metadata,
    sa.Column("incident_id", sa.Integer, primary_key=True),
    sa.Column("sink_key", sa.String(64), primary_key=True),
    sa.Column("ref_json", sa.Text, nullable=False),      # the remote id (issue key, sys_id, ...)
)


# --- data quality (issue 6): tables below this line ---

dead_letters = sa.Table(
    "dead_letters", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(64), nullable=False),         # sha256 of where it came from
    sa.Column("dag_id", sa.String(250), nullable=True),      # NULL: validate() outside a task
    sa.Column("task_id", sa.String(250), nullable=True),
    sa.Column("run_id", sa.String(250), nullable=True),
    sa.Column("map_index", sa.Integer, nullable=False, default=-1),
    sa.Column("try_number", sa.Integer, nullable=False, default=0),
    sa.Column("call_seq", sa.Integer, nullable=False, default=0),   # nth validate() in the try
    sa.Column("record_index", sa.Integer, nullable=False),
    sa.Column("fileloc", sa.Text, nullable=True),            # DAG file, to find the contract
    sa.Column("source", sa.Text, nullable=True),             # where the record came from
    sa.Column("contract", sa.String(250), nullable=False),
    sa.Column("destination", sa.String(250), nullable=True),
    sa.Column("record_json", sa.Text, nullable=False),
    sa.Column("errors_json", sa.Text, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),      # pending|replaying|replayed|discarded|superseded
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("replayed_at", UtcDateTime, nullable=True),
    sa.UniqueConstraint("key", name="uq_dead_letters_key"),
    sa.Index("ix_dead_letters_dag_status", "dag_id", "status"),
    sa.Index("ix_dead_letters_status", "status"),
)

quality_references = sa.Table(
    "quality_references", metadata,
    sa.Column("dataset", sa.String(250), primary_key=True),
    sa.Column("profile_json", sa.Text, nullable=False),
    sa.Column("pinned", sa.Boolean, nullable=False, default=False),
    sa.Column("run_id", sa.String(250), nullable=True),      # the run whose data it profiles
    sa.Column("created_at", UtcDateTime, nullable=False),
)

quality_reports = sa.Table(
    "quality_reports", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("dataset", sa.String(250), nullable=False),
    sa.Column("dag_id", sa.String(250), nullable=True),
    sa.Column("task_id", sa.String(250), nullable=True),
    sa.Column("run_id", sa.String(250), nullable=True),
    sa.Column("status", sa.String(20), nullable=False),      # baseline | passed | held
    sa.Column("threshold", sa.Float, nullable=False),
    sa.Column("report_json", sa.Text, nullable=False),       # per-column PSI/KS, the profile
    sa.Column("quarantine_path", sa.Text, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Index("ix_quality_reports_dataset", "dataset", "created_at"),
)

# --- datasets and lineage: tables below this line ---

dataset_events = sa.Table(
    # One row per update of a dataset (a successful try of a task with that outlet), written in
    # the transaction that records the success. Dataset-scheduled DAGs read it (events pass).
    "dataset_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uri", sa.String(1000), nullable=False),
    sa.Column("dag_id", sa.String(250), nullable=True),
    sa.Column("task_id", sa.String(250), nullable=True),
    sa.Column("run_id", sa.String(250), nullable=True),
    sa.Column("map_index", sa.Integer, nullable=False, default=-1),
    sa.Column("extra_json", sa.Text, nullable=False, default="{}"),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Index("ix_dataset_events_uri_id", "uri", "id"),
)

datasets = sa.Table(
    # The catalog: one row per dataset URI any DAG declares (or any update named). Metadata is
    # what a DAG's Dataset(...) described; a bare Dataset(uri) elsewhere never erases it. The
    # last update (when, by which dag/task/run) is read from dataset_events, not kept here.
    "datasets", metadata,
    sa.Column("uri", sa.String(1000), primary_key=True),
    sa.Column("owner", sa.String(250), nullable=True),
    sa.Column("domain", sa.String(250), nullable=True),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("schema_json", sa.Text, nullable=True),         # JSON Schema of its records
    sa.Column("contract", sa.String(250), nullable=True),     # the Contract's name, if one
    sa.Column("freshness_s", sa.Float, nullable=True),        # freshness SLO in seconds
    sa.Column("is_product", sa.Boolean, nullable=False, default=False),
    sa.Column("extra_json", sa.Text, nullable=False, default="{}"),
    sa.Column("declared_by", sa.String(250), nullable=True),  # dag_id that described it last
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Index("ix_datasets_domain", "domain"),
)

dataset_refs = sa.Table(
    # Which DAG tasks read (inlet) or write (outlet) which dataset, as of each DAG's latest
    # recorded spec: the lineage graph's edges, the catalog's producers and consumers.
    "dataset_refs", metadata,
    sa.Column("dag_id", sa.String(250), primary_key=True),
    sa.Column("task_id", sa.String(250), primary_key=True),
    sa.Column("uri", sa.String(1000), primary_key=True),
    sa.Column("role", sa.String(10), primary_key=True),       # inlet | outlet
    sa.Index("ix_dataset_refs_uri", "uri"),
)

# --- events and triggers: tables below this line ---

received_events = sa.Table(
    # What an event source (file, webhook, queue) or the dataset pass delivered to one DAG.
    # The unique key makes a repeated delivery (a file seen again, a broker redelivery, a
    # webhook retried with its event id) one row; `run_id` is set, in the transaction that
    # creates the run, by the scheduler that claims the row (NULL = still pending).
    "received_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("dag_id", sa.String(250), nullable=False),
    sa.Column("source", sa.String(20), nullable=False),       # file | webhook | queue | dataset
    sa.Column("key", sa.Text, nullable=False),                # dedupe key (file URL, message id)
    sa.Column("key_hash", sa.String(64), nullable=False),     # sha256 hex of key, for the index
    sa.Column("payload_json", sa.Text, nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("run_id", sa.String(250), nullable=True),
    sa.Column("consumed_at", UtcDateTime, nullable=True),
    sa.UniqueConstraint("dag_id", "source", "key_hash", name="uq_received_events_key"),
    sa.Index("ix_received_events_pending", "run_id", "id"),
    sa.Index("ix_received_events_received", "received_at"),
)

queue_messages = sa.Table(
    # The embedded queue: messages published to a topic, kept so that every DAG listening on
    # the topic reads them with its own cursor (event_cursors).
    "queue_messages", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("topic", sa.String(250), nullable=False),
    sa.Column("payload_json", sa.Text, nullable=False),
    sa.Column("published_at", UtcDateTime, nullable=False),
    sa.Index("ix_queue_messages_topic_id", "topic", "id"),
)

event_cursors = sa.Table(
    # How far one DAG has read a stream kept in this database: "queue:<topic>" (queue_messages
    # ids) or "dataset" (dataset_events ids consumed by its last dataset-triggered run).
    "event_cursors", metadata,
    sa.Column("dag_id", sa.String(250), primary_key=True),
    sa.Column("name", sa.String(250), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

# --- secrets (encrypted connections and variables): tables below this line ---

secret_connections = sa.Table(
    # A connection's fields (host, port, login, password, schema, extra) as one encrypted JSON
    # document; only the id and the type are readable, so `connections list` works without a key.
    "secret_connections", metadata,
    sa.Column("conn_id", sa.String(250), primary_key=True),
    sa.Column("conn_type", sa.String(100), nullable=False),
    sa.Column("ciphertext", sa.Text, nullable=False),         # Fernet token (url-safe base64)
    sa.Column("key_id", sa.String(16), nullable=False),       # which key encrypted it (sha256 prefix)
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

secret_variables = sa.Table(
    "secret_variables", metadata,
    sa.Column("name", sa.String(250), primary_key=True),
    sa.Column("ciphertext", sa.Text, nullable=False),
    sa.Column("key_id", sa.String(16), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)


# --- run ownership: tables below this line ---

schedulers = sa.Table(                 # processes driving runs: schedulers and dag.run() calls
    "schedulers", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("hostname", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),          # scheduler | run
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("heartbeat_at", UtcDateTime, nullable=False),
)


# --- operating runs in place (0013) ---

run_requests = sa.Table(               # clear / mark / cancel asked of a run's owner
    "run_requests", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(250), nullable=False),
    sa.Column("action", sa.String(20), nullable=False),      # clear | mark | cancel
    sa.Column("payload_json", sa.Text, nullable=False),
    sa.Column("requested_by", sa.String(250), nullable=False),
    sa.Column("requested_at", UtcDateTime, nullable=False),
    sa.Column("applied_at", UtcDateTime, nullable=True),
    sa.Column("outcome_json", sa.Text, nullable=True),       # {"task_ids": [...]} or {"error"}
    sa.Index("ix_run_requests_pending", "applied_at", "run_id"),
)
