"""A failure callback that opens a helpdesk ticket (article: "Architecting Your Score",
"Advanced Airflow Alert Integration with Helpdesk Ticketing", `critical_sales_pipeline`).

What the article asked: an `on_failure_callback` that creates a detailed ticket in the cloud
helpdesk when the critical sales pipeline fails: DAG, failed task, error, run id, execution
date and a link to the log; priority P2, component `data-platform`, labels
`orchestration_failure` and the DAG id.

What this shows, the Legato way:
- `on_failure_callback` in `default_args`: called with the run context of the try that
  failed for good (not on tries that will be retried), with `ctx.exception`;
- the ticket posted through `legato.io.http.request` on the `helpdesk` connection (Jira's
  create-issue shape: priority "High" is the article's P2), and a callback that never raises
  (a helpdesk outage must not hide the pipeline's own error);
- a real failure from outside the pipeline: the BI tool keeps the finance dataset locked
  (HTTP 423), the refresh is retried once, then fails. The run is designed to fail.

For the declarative form (a ticket opened, commented on each retry and resolved by the next
success, delivered through a durable outbox) see `alert_to_ticket.py`: `incidents=[Jira(...)]`.

Run it: `legato demo critical_sales_pipeline`, then look at the ticket in the helpdesk
stand-in's page the demo prints.
"""

from datetime import timedelta

from legato import DAG, task
from legato.io.http import request
from legato.io.warehouse import Warehouse
from legato.tasks import HttpTask


def open_helpdesk_ticket(ctx):
    """Create a detailed ticket for the try that failed; log, never raise, if that fails."""
    fields = {"project": {"key": "DATA"}, "issuetype": {"name": "Incident"},
              "summary": f"Data Pipeline Failure: DAG {ctx.dag_id}",
              "description": (f"Failed Task: {ctx.task_id}\nError: {ctx.exception}\n"
                              f"DAG Run ID: {ctx.run_id}\nExecution Date: {ctx.ds}\n"
                              f"Log URL: {ctx.ti.log_url}"),
              "priority": {"name": "High"}, "components": [{"name": "data-platform"}],
              "labels": ["orchestration_failure", ctx.dag_id]}
    try:
        key = request("POST", "/rest/api/3/issue", conn="helpdesk", json={"fields": fields},
                      timeout=10).json()["key"]
        ctx.log.info("ticket created: %s", key)
    except Exception as exc:  # noqa: BLE001 - the pipeline's error is what matters here
        ctx.log.error("failed to create the helpdesk ticket: %s", exc)


with DAG("critical_sales_pipeline", schedule="@daily", start_date="2024-03-01", catchup=False,
         tags=["article", "sales", "finance"], domain="finance",
         default_args={"owner": "data_engineering", "retries": 1,
                       "retry_delay": timedelta(seconds=0.5),
                       "on_failure_callback": open_helpdesk_ticket}) as dag:

    @task
    def extract_sales(ctx):
        return Warehouse("sales_db").query(
            "SELECT product_id, quantity, amount FROM transactions WHERE date = :d", {"d": ctx.ds})

    @task
    def load_revenue(sales, ctx):
        totals = {}
        for s in sales:
            totals[s["product_id"]] = round(totals.get(s["product_id"], 0) + s["amount"], 2)
        rows = [{"product_id": p, "revenue": v} for p, v in sorted(totals.items())]
        return Warehouse().load("revenue_daily", rows, mode="replace_partition",
                                partition={"day": ctx.ds}).to_json()

    refresh = HttpTask("refresh_finance_dashboard", "/api/v1/datasets/finance-revenue/refresh",
                       method="POST", http_conn_id="bi_tool_api", json={"day": "{{ ds }}"})

    load_revenue(extract_sales()) >> refresh
