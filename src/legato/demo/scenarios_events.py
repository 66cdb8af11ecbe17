"""How `legato demo` drives the event-driven examples: a scheduler with its event listener runs
while the world acts (files dropped in the bucket, a signed webhook POSTed by the DDoS
service to `legato server`, messages on the embedded queue, a data product's updates), and the
scenario waits for the runs those events make. Checks as in scenarios.py.
"""

from __future__ import annotations

import time

from . import seed
from .scenarios import Check, World, count, states, tickets
from .standins import DDOS_WEBHOOK_SECRET, data

EVENT_WAIT_S = 45.0
PRODUCT = "duckdb://warehouse/product_purchase_orders_daily"


def lineage_catalog(w: World) -> list[Check]:
    from ..services import lineage

    d = w.driver
    with d.listening(["inventory_forecast"]) as until:
        started = until(d.finished("inventory_forecast", 1), EVENT_WAIT_S)
    runs = d.runs_of("inventory_forecast")
    graph = lineage.lineage(w.settings, PRODUCT, direction="both", depth=3)
    edges = {(e["source"], e["target"]) for e in graph["edges"]}
    report = w.stand_ins.bucket / "reports" / "inventory_forecast.csv"
    return [("the product's updates start the consumer domain's forecast (dataset-triggered)",
             started and states(runs) == ["success"] and runs[0].run_type == "dataset"),
            ("the forecast lands in DuckDB and as a CSV report in the bucket",
             count("inventory_forecast") > 0 and report.exists()),
            ("the lineage runs API -> product -> forecast",
             (f"dataset:{PRODUCT}", "task:inventory_forecast.forecast_demand") in edges
             and ("task:data_product_publish.publish_to_data_mesh", f"dataset:{PRODUCT}") in edges)]


def po_file_events(w: World) -> list[Check]:
    from ..services import dead_letters

    d = w.driver
    dags = ["po_file_function", "po_validated_loader", "po_error_log"]
    with d.listening(dags) as until:
        seed.incoming_po_files(w.stand_ins.bucket / "incoming-purchase-orders")
        done = until(lambda: all(d.finished(dag, n)() for dag, n in zip(dags, (3, 2, 1), strict=True)),
                     EVENT_WAIT_S)
    files = sorted(states(d.runs_of("po_file_function")))
    letters = dead_letters.list_letters(w.settings, dag_id="po_file_function")
    return [("each dropped file makes one run: two orders pass, the bad one fails (designed)",
             done and files == ["failed", "success", "success"]),
            ("the validated topic's subscriber merges the two orders into DuckDB",
             count("purchase_orders_validated") == 2),
            ("the error topic's subscriber keeps the error and posts it to the chat",
             count("po_processing_errors") == 1
             and any("hooli-0003.csv" in t for t in w.stand_ins.chat.texts())),
            ("the bad order is a dead letter and one ticket (Medium, data-ingestion)",
             len(letters) == 1 and len(tickets(w, "processing_failure")) == 1)]


def ddos_response_playbook(w: World) -> list[Check]:
    d = w.driver
    attack = data.ddos_events(data.ATTACK_DAY)[0]
    if w.api_url is None:
        raise RuntimeError("the webhook scenario needs `legato server` (the runner starts it)")
    with d.listening(["ddos_response_playbook"]) as until:
        status = _post_alert(w, attack)
        done = until(d.finished("ddos_response_playbook", 1), EVENT_WAIT_S)
    runs = d.runs_of("ddos_response_playbook")
    found = tickets(w, f"attack-{attack['id']}")
    return [("the DDoS service's signed alert is accepted by Legato's webhook (202)", status == 202),
            ("one run, which succeeds", done and states(runs) == ["success"]),
            ("traffic rerouted and logging scaled up at the DDoS service",
             len(w.stand_ins.ddos.reroutes) == 1 and len(w.stand_ins.ddos.logging) == 1),
            ("one Highest ticket with the attack's diagnostics",
             len(found) == 1 and found[0]["priority"] == "Highest" and found[0]["comments"] == 1)]


def _post_alert(w: World, attack: dict) -> int:
    """POST until Legato answers: the server may still be reading the DAGs folder (it answers
    404 for a webhook no DAG it knows listens on, yet)."""
    url = f"{w.api_url}/api/v1/events/webhooks/ddos-attack"
    deadline = time.monotonic() + EVENT_WAIT_S
    status = 0
    while time.monotonic() < deadline:
        status = w.stand_ins.ddos.send_alert(url, DDOS_WEBHOOK_SECRET, attack)
        if status not in (404, 502, 503):
            return status
        time.sleep(0.3)
    return status
