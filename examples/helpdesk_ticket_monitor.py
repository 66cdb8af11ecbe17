"""A helpdesk ticket monitor with an HTTP sensor (article: "Instrumentation: Integrating Data
Sources, Pipelines, and Destinations", `helpdesk_ticket_monitor`).

What the article asked: an `HttpSensor` that polls the helpdesk API for new high-priority
tickets (`http_conn_id`, `endpoint`, `request_params`, `response_check`), then a task that
fetches the ticket, enriches it with the customer's data from the warehouse, and routes the
enriched ticket to a message queue for analytics.

What this shows, the Legato way:
- `HttpSensor(http_conn_id="helpdesk", endpoint=..., request_params={"jql": ...},
  response_check=...)`, in `reschedule` mode (no worker slot held between pokes): its check
  returns the tickets it found, which become the sensor's result for the next task;
- the fetch as an `HttpTask` whose endpoint is templated from the sensor's result
  (`{{ ti.xcom_pull(task_ids="check_for_high_priority_ticket")[0]["key"] }}`), credentials
  from the connection (basic auth with the account's API token);
- enrichment from the warehouse (the customer's tier and region, and the SLA it buys), then
  `legato.io.queue.publish` to the embedded queue (NATS, Redis or RabbitMQ by URL in
  production) with the ticket key as the message id.

The helpdesk speaks Jira's REST API here, so the search is JQL; tickets reported by customers
carry the label `customer-reported` and one `customer-<id>`.

Run it: `legato demo helpdesk_ticket_monitor` (a customer opens a High ticket, the demo
triggers a run). Against Jira: `LEGATO_CONN_HELPDESK=https://me%40acme.com:TOKEN@acme.atlassian.net`.
"""

from datetime import timedelta

from legato import DAG, task
from legato.io import queue
from legato.io.warehouse import Warehouse
from legato.sensors import HttpSensor
from legato.tasks import HttpTask

JQL = 'labels = customer-reported AND priority = High AND status = "To Do" ORDER BY created DESC'
SLA_HOURS = {"gold": 1, "silver": 4, "bronze": 8}

with DAG("helpdesk_ticket_monitor", schedule=None, start_date="2024-03-01",
         tags=["article", "helpdesk"], domain="support",
         default_args={"owner": "support_analytics", "retries": 2,
                       "retry_delay": timedelta(seconds=1)}) as dag:

    wait_for_ticket = HttpSensor(
        "check_for_high_priority_ticket", http_conn_id="helpdesk",
        endpoint="/rest/api/3/search/jql", request_params={"jql": JQL, "maxResults": 5},
        response_check=lambda response: response.json()["issues"] or False,
        mode="reschedule", poke_interval=1, timeout=30)     # the article: every minute, 5 min

    fetch_ticket = HttpTask(
        "fetch_ticket", http_conn_id="helpdesk", method="GET",
        endpoint='/rest/api/3/issue/{{ ti.xcom_pull(task_ids="check_for_high_priority_ticket")[0]["key"] }}')

    @task
    def enrich_and_route(ticket):
        fields = ticket["fields"]
        customer = next((label.removeprefix("customer-") for label in fields["labels"]
                         if label.startswith("customer-") and label != "customer-reported"), None)
        found = Warehouse().query("SELECT tier, region FROM customers WHERE customer_id = :c",
                                  {"c": customer}) if customer else []
        tier = found[0]["tier"] if found else "unknown"
        enriched = {"key": ticket["key"], "summary": fields["summary"],
                    "priority": fields["priority"]["name"], "customer_id": customer,
                    "tier": tier, "region": found[0]["region"] if found else None,
                    "sla_hours": SLA_HOURS.get(tier, 24)}
        queue.publish("helpdesk-tickets", enriched, message_id=ticket["key"])
        return enriched

    wait_for_ticket >> fetch_ticket
    enrich_and_route(fetch_ticket)
