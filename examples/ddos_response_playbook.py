"""The DDoS response playbook (article: "The Symphony of Data": when a traffic surge triggers
the cloud DDoS solution, the orchestrator runs a response playbook).

What the article asked: 1. reroute processing to a backup region; 2. scale up logging to
capture the attack; 3. open a priority ticket in the helpdesk (ServiceNow, Jira Service Desk)
with diagnostic data attached, for level-2 support.

What this shows, the Legato way:
- an event-driven DAG: the DDoS service POSTs its alert to Legato's webhook trigger
  (`events.Webhook`), signed with a shared secret, and each alert is one run with the alert
  as `ctx.event` (a replayed delivery is refused, a retried one makes no second run);
- the two mitigations in parallel, then the ticket, through `legato.io.http.request` with the
  connections `ddos_api` and `helpdesk` (credentials never in the DAG file);
- a ticket made once per attack even when the task is retried: it searches the helpdesk for
  the attack's label before creating, then attaches the attack's traffic log as a comment.

Run it: `legato demo ddos_response_playbook` (the stand-in DDoS service posts a signed alert
to a `legato server` the demo starts). Against your Legato: point the DDoS service's webhook
at `POST /api/v1/events/webhooks/ddos-attack`, secret in the `ddos_webhook_secret` variable.
"""

from datetime import timedelta

from legato import DAG, events, task
from legato.io.http import request

with DAG("ddos_response_playbook", schedule=events.Webhook("ddos-attack", secret="var:ddos_webhook_secret"),
         start_date="2024-03-01", tags=["article", "security"], domain="security",
         default_args={"owner": "security_ops", "retries": 2,
                       "retry_delay": timedelta(seconds=1)}) as dag:

    @task
    def reroute_processing(ctx):
        attack = ctx.event["attack"]
        return request("POST", "/v1/traffic/reroute", conn="ddos_api",
                       json={"region": "eu-backup", "reason": f"DDoS {attack['id']}"},
                       headers={"Idempotency-Key": f"reroute-{attack['id']}"}).json()

    @task
    def scale_logging(ctx):
        return request("POST", "/v1/logging", conn="ddos_api",
                       json={"level": "verbose", "sample_rate": 1.0}).json()

    @task
    def open_priority_ticket(rerouted, logging, ctx):
        """A Highest-priority ticket for level 2, made once per attack."""
        attack = ctx.event["attack"]
        label = f"attack-{attack['id']}"
        found = request("POST", "/rest/api/3/search/jql", conn="helpdesk",
                        json={"jql": f"labels = {label}", "maxResults": 1}).json()["issues"]
        if found:
            return found[0]["key"]
        summary = (f"DDoS attack {attack['id']} on {attack['target']}: "
                   f"{attack['attack_type']} at {attack['peak_rps']:,} req/s")
        fields = {"project": {"key": "SEC"}, "issuetype": {"name": "Incident"},
                  "summary": summary, "priority": {"name": "Highest"},
                  "labels": ["ddos", "security", "level2", label],
                  "components": [{"name": "edge"}],
                  "description": (f"Mitigation: traffic rerouted to {rerouted['region']}, logging "
                                  f"{logging['level']}.\nSources: {', '.join(attack['source_ips'])}\n"
                                  f"Started: {attack['start_time']}")}
        key = request("POST", "/rest/api/3/issue", conn="helpdesk",
                      json={"fields": fields}).json()["key"]
        traffic = request("GET", "/v1/logs", conn="ddos_api",
                          params={"start_time": attack["start_time"],
                                  "end_time": attack["end_time"]}).json()["events"]
        request("POST", f"/rest/api/3/issue/{key}/comment", conn="helpdesk",
                json={"body": f"Diagnostic data: {len(traffic)} attack record(s) in the window: "
                              + "; ".join(f"{e['id']} {e['attack_type']} peak {e['peak_rps']}"
                                          for e in traffic)})
        return key

    open_priority_ticket(reroute_processing(), scale_logging())
