"""Security analytics, every hour (article: "The Symphony of Data", `security_analytics_pipeline`).

What the article asked: pull the application's raw logs from a cloud bucket every hour, clean
them, enrich them with customer data from the warehouse, and load the result into the
warehouse, with retries on transient failures.

What this shows, the Legato way:
- the bucket through `legato.io.storage` (a local folder here; `s3://`, `gs://` ... the same
  code), its path built from the run's hour;
- cleaning in Python, enrichment where the customers are: a SQL join inside the embedded
  DuckDB warehouse (`SqlTask` without a connection), all statements in one transaction;
- an idempotent hourly load: `replace_partition` on the hour, and the enriched table's hour
  deleted and rebuilt, so a retried or re-run hour never doubles a row;
- retries with exponential backoff, and the enriched table declared as an outlet (lineage).

Run it: `legato demo security_analytics` ships two hours of logs to the bucket and backfills
them. With your own bucket: `LEGATO_VAR_LANDING_BUCKET=/data/landing legato backfill
security_analytics --start 2024-03-01T00:00 --end 2024-03-01T01:00` (files at
`<bucket>/logs/<YYYY-MM-DDTHH>/application.json`, one JSON object per line).
"""

from datetime import timedelta

from legato import DAG, Dataset, task
from legato.io import storage
from legato.io.warehouse import Warehouse
from legato.tasks import SqlTask

ENRICHED = Dataset("duckdb://warehouse/enriched_logs", owner="secops@example.com",
                   domain="security", description="Application requests with customer tier")
HEALTH_CHECKS = ("/healthz", "/metrics")

with DAG("security_analytics", schedule="@hourly", start_date="2024-03-01", catchup=False,
         max_active_runs=4, tags=["article", "security"], domain="security",
         default_args={"owner": "data_engineering", "retries": 3,
                       "retry_delay": timedelta(seconds=1),      # minutes in production
                       "retry_exponential_backoff": True}) as dag:

    @task(inlets=[Dataset("file://landing/logs")])
    def extract_application_logs(ctx):
        """The hour's raw log lines from the bucket."""
        path = f"{ctx.var('landing_bucket')}/logs/{ctx.logical_date:%Y-%m-%dT%H}/application.json"
        lines = storage.read_jsonl(path)
        ctx.log.info("%d log lines from %s", len(lines), path)
        return lines

    @task
    def clean_logs(lines, ctx):
        """Drop health checks and lines without a customer; keep what the analysts query."""
        hour = ctx.logical_date.strftime("%Y-%m-%dT%H")
        kept = [{"request_id": r["request_id"], "ts": r["ts"], "customer_id": r["customer_id"],
                 "ip": r["ip"], "path": r["path"], "status": int(r["status"]),
                 "latency_ms": float(r["latency_ms"]), "hour": hour}
                for r in lines if r.get("customer_id") and r.get("path") not in HEALTH_CHECKS]
        return Warehouse().load("raw_app_logs", kept, mode="replace_partition",
                                partition={"hour": hour}).to_json()

    enrich = SqlTask("transform_and_enrich_logs", """
        CREATE TABLE IF NOT EXISTS enriched_logs AS
            SELECT l.*, c.tier, c.region FROM raw_app_logs l
            LEFT JOIN customers c USING (customer_id) WHERE false;
        DELETE FROM enriched_logs WHERE hour = :hour;
        INSERT INTO enriched_logs
            SELECT l.*, c.tier, c.region FROM raw_app_logs l
            LEFT JOIN customers c USING (customer_id) WHERE l.hour = :hour;
        SELECT coalesce(tier, 'unknown') AS tier, count(*) AS requests,
               round(avg(CASE WHEN status >= 500 THEN 1 ELSE 0 END), 4) AS error_rate
        FROM enriched_logs WHERE hour = :hour GROUP BY 1 ORDER BY 1
        """, parameters={"hour": "{{ logical_date.strftime('%Y-%m-%dT%H') }}"},
        outlets=[ENRICHED])

    clean_logs(extract_application_logs()) >> enrich
