"""Alert-to-ticket automation: create, update and resolve (article: "Scaling the Orchestra",
"Step-by-Step Guide for Alert-to-Ticket Automation").

What the article asked: on a pipeline failure, create a ticket enriched with context (the
pipeline, DAG and task ids, the error, the execution date, a link to the logs); update it
(a comment when a retry happens); and close it when the pipeline completes successfully.

What this shows, the Legato way: nothing to write but the sink.
`incidents=[Jira(conn_id="helpdesk", project="DATA", priority="High", labels=[...],
assignee=..., components=[...])]` and Legato does the rest:
- a task that fails after its retries opens an incident and the ticket (title, DAG, task,
  run, logical date, error, tries, the log's last lines and its link);
- a retry or a new failure of the same task while it is open adds a comment to the ticket
  (one incident per problem, not a ticket storm: the fingerprint is DAG, task, kind, error);
- the task's next success resolves the incident and transitions the ticket to Done;
- delivery through a durable outbox: a helpdesk outage delays the ticket, never loses it,
  and a retried create never makes a second one.
`legato incidents list` shows the same loop in Legato's own store.

The failing system here is the procurement API's supplier catalogue (the stand-in's
`outage`): down, the sync fails; back up, the next run succeeds and the ticket closes.

Run it: `legato demo alert_to_ticket` (outage on: a day fails twice, then the outage ends
and the day is re-run).
"""

from datetime import timedelta

from legato import DAG, task
from legato.incidents import Jira
from legato.io.http import request
from legato.io.warehouse import Warehouse

with DAG("alert_to_ticket", schedule="@daily", start_date="2024-03-01", catchup=False,
         tags=["article", "helpdesk", "procurement"], domain="supply_chain",
         default_args={"owner": "data_engineering", "retries": 1,
                       "retry_delay": timedelta(seconds=0.2)},
         incidents=[Jira(conn_id="helpdesk", project="DATA", priority="High",
                         labels=["supplier_sync", "orchestration_failure"],
                         assignee="oncall-data-eng", components=["data-platform"])]) as dag:

    @task
    def sync_supplier_catalogue(ctx):
        suppliers = request("GET", "/v1/suppliers", conn="procurement_api", retries=0).json()
        rows = [{**s, "synced_on": ctx.ds} for s in suppliers["suppliers"]]
        return Warehouse().load("dim_supplier", rows, mode="merge", keys=["vendor_id"]).to_json()

    sync_supplier_catalogue()
