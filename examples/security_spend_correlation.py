"""Security-spend correlation (article: "The Business Imperative: Agility, Cost, and Insight",
`security_spend_analysis_dag`).

What the article asked: pull the attack log from the DDoS-protection API and the purchase
orders created in the same period from the procurement API, find the purchase orders created
during attack windows, and open a high-priority helpdesk ticket when more than 5 are found
(auto-scaling bills or fraud), with the correlated data attached.

What this shows, the Legato way:
- the two extracts in parallel, each through a connection (`ddos_api`, `procurement_api`),
  over the run's data interval (`ctx.data_interval_start` / `_end`) instead of "now";
- the procurement API read with `fetch_all` (pagination, 429 + Retry-After, 503 retried);
- data passed between tasks as return values (no XCom keys to agree on), and the correlation
  kept in the warehouse for the analysts (idempotent daily partition);
- the alert task `Skip`s below the threshold (a `params` value you can override per run), and
  above it opens ONE ticket per day: it looks for the day's label before creating, so a
  retry or a re-run of the day never files a duplicate.

Run it: `legato demo security_spend_correlation` backfills a quiet day and the attack day.
`legato dags trigger security_spend_correlation --param threshold=2` lowers the bar.
The article schedules it hourly; the stand-in's attack log is daily, so this runs @daily.
"""

from datetime import datetime, timedelta

from legato import DAG, Skip, task
from legato.io.http import fetch_all, request
from legato.io.warehouse import Warehouse

CORRELATION = {"type": "object", "properties": {       # the table, even for a quiet day
    "attack_id": {"type": "string"}, "po_id": {"type": "string"}, "vendor": {"type": "string"},
    "amount": {"type": "number"}, "day": {"type": "string"}}}

with DAG("security_spend_correlation", schedule="@daily", start_date="2024-03-01", catchup=False,
         params={"threshold": 5}, tags=["article", "security", "finance"], domain="security",
         default_args={"owner": "security_ops", "retries": 1,
                       "retry_delay": timedelta(seconds=1)}) as dag:

    @task
    def extract_ddos_logs(ctx):
        return request("GET", "/v1/logs", conn="ddos_api", params={
            "start_time": ctx.data_interval_start.isoformat(),
            "end_time": ctx.data_interval_end.isoformat(), "limit": 10_000}).json()["events"]

    @task
    def query_purchase_orders(ctx):
        return list(fetch_all("/v1/orders", conn="procurement_api", records="orders",
                              paginate="cursor", cursor_path="next_page", cursor_param="page",
                              params={"created_after": ctx.data_interval_start.isoformat(),
                                      "created_before": ctx.data_interval_end.isoformat()}))

    @task
    def correlate_data(attacks, orders, ctx):
        """Purchase orders created inside each attack window."""
        correlated = []
        for attack in attacks:
            start = datetime.fromisoformat(attack["start_time"])
            end = datetime.fromisoformat(attack["end_time"])
            related = [{"id": o["id"], "amount": o["amount"], "vendor": o["vendor"]}
                       for o in orders if start <= datetime.fromisoformat(o["created_date"]) <= end]
            if related:
                correlated.append({"attack_id": attack["id"], "related_purchase_orders": related})
        rows = [{"attack_id": c["attack_id"], "po_id": po["id"], "vendor": po["vendor"],
                 "amount": po["amount"]} for c in correlated for po in c["related_purchase_orders"]]
        Warehouse().load("security_spend_correlation", rows, mode="replace_partition",
                         partition={"day": ctx.ds}, schema=CORRELATION)
        return correlated

    @task
    def alert_helpdesk_on_anomaly(correlated, ctx):
        count = sum(len(c["related_purchase_orders"]) for c in correlated)
        if count <= int(ctx.params["threshold"]):
            raise Skip(f"{count} purchase order(s) during attacks: not above the threshold")
        label = f"spend-anomaly-{ctx.ds}"
        found = request("POST", "/rest/api/3/search/jql", conn="helpdesk",
                        json={"jql": f"labels = {label}", "maxResults": 1}).json()["issues"]
        if found:
            return found[0]["key"]
        spend = round(sum(po["amount"] for c in correlated for po in c["related_purchase_orders"]), 2)
        lines = [f"{c['attack_id']}: " + ", ".join(f"{po['id']} {po['vendor']} {po['amount']}"
                                                  for po in c["related_purchase_orders"])
                 for c in correlated]
        fields = {"project": {"key": "FIN"}, "issuetype": {"name": "Task"},
                  "summary": "High Priority: Anomalous Procurement During DDoS Events",
                  "priority": {"name": "High"},
                  "labels": ["security", "finance", "automated_alert", label],
                  "description": (f"Analysis detected {count} purchase orders ({spend} in total) "
                                  f"created during DDoS attack windows on {ctx.ds}. Potential "
                                  "fraudulent activity or auto-scaling costs.\n" + "\n".join(lines))}
        return request("POST", "/rest/api/3/issue", conn="helpdesk",
                       json={"fields": fields}).json()["key"]

    alert_helpdesk_on_anomaly(correlate_data(extract_ddos_logs(), query_purchase_orders()))
