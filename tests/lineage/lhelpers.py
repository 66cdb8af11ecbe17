"""Shared pieces of the lineage tests: two DAG files (a producer and a consumer) and a
loader that records them in the store the way the scheduler does."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

from legato.authoring.loader import load_file
from legato.config import load_settings
from legato.store import dags as dag_store
from legato.store.db import open_engine

PRODUCER = '''
from datetime import timedelta
from legato import DAG, task, Dataset

RAW = Dataset("s3://raw/orders.csv")
SALES = Dataset("duckdb://warehouse/sales.daily", owner="ana", description="Daily sales",
                schema={"type": "object", "required": ["day"],
                        "properties": {"day": {"type": "string"}, "total": {"type": "number"}}},
                freshness=timedelta(hours=FRESH_HOURS))

with DAG("sales_producer", domain="sales") as dag:
    @task(inlets=[RAW], outlets=[SALES], retries=RETRIES, retry_delay=0)
    def load(ctx):
        FAIL_BLOCK
        return 1
    load()
'''

CONSUMER = '''
from legato import DAG, task, Dataset

with DAG("sales_report") as dag:
    @task(inlets=[Dataset("duckdb://warehouse/sales.daily")],
          outlets=[Dataset("file:///reports/sales.pdf")])
    def report():
        return 2
    report()
'''


def write(folder: Path, name: str, source: str, **subs: object) -> Path:
    for key, value in {"FRESH_HOURS": 24, "RETRIES": 0, "FAIL_BLOCK": "pass", **subs}.items():
        source = source.replace(key, str(value))
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    return path


def load(path: Path):  # a DAG
    (dag,) = load_file(path).dags
    return dag


def record(dag) -> None:
    """Record the DAG's spec in the store, as the scheduler's sync does."""
    with open_engine(load_settings().database_url).begin() as conn:
        dag_store.upsert_dag(conn, dag.dag_id, dag.fileloc, dag.spec_json(), datetime.now(UTC))
