"""The gallery: every example of `examples/`, the article section it realizes, what it shows,
how `legato demo` drives it, and which examples must run before it. The order is the order
`legato demo --all` runs them in (the dataset-triggered consumer after its producer, the
event-driven ones last, while `legato server` has had time to start)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import scenarios, scenarios_events


@dataclass(frozen=True)
class Example:
    name: str                 # the file's stem: examples/<name>.py, `legato demo <name>`
    section: str              # where the article asks for it
    shows: str
    how: str                  # how the demo drives it
    dag_ids: tuple[str, ...]
    requires: tuple[str, ...] = ()

    @property
    def scenario(self) -> Callable[[scenarios.World], list[scenarios.Check]]:
        return getattr(scenarios, self.name, None) or getattr(scenarios_events, self.name)


GALLERY: tuple[Example, ...] = (
    Example("hello", "-", "two tasks passing a value", "trigger", ("hello",)),
    Example("complex_financial_reporting", "Mastering Complexity",
            "retries with exponential backoff and a max delay, Skip, all_done",
            "backfill 1 day + trigger", ("complex_financial_reporting",)),
    Example("purchase_orders", "Mastering Complexity (dead-letter queues)",
            "contract validation, dead letters fixed and replayed once, drift held",
            "backfill 1 day + trigger", ("purchase_orders",)),
    Example("security_analytics", "The Symphony of Data",
            "bucket -> clean -> enrich in DuckDB, hourly, idempotent", "backfill 2 hours",
            ("security_analytics",)),
    Example("daily_sales_analytics", "Defining Data Orchestration",
            "FileSensor, typed CSV, HttpTask refresh, a one_failed chat alert", "backfill 2 days",
            ("daily_sales_analytics",)),
    Example("security_spend_correlation", "The Business Imperative",
            "DDoS logs x purchase orders, one ticket when more than 5", "backfill 2 days",
            ("security_spend_correlation",)),
    Example("critical_sales_pipeline", "Architecting Your Score",
            "on_failure_callback -> a detailed helpdesk ticket", "backfill 1 day",
            ("critical_sales_pipeline",)),
    Example("sales_inventory_replenishment", "The Conductor's Baton",
            "sales -> warehouse (SqlTask) -> idempotent purchase orders", "backfill 2 days",
            ("sales_inventory_replenishment",)),
    Example("helpdesk_ticket_monitor", "Instrumentation (source)",
            "HttpSensor on a connection, enrichment, the embedded queue", "trigger",
            ("helpdesk_ticket_monitor",)),
    Example("po_validation", "Instrumentation (destination)",
            "validate, quarantine or load; ticket opened and resolved", "backfill 1 day, fix, re-run",
            ("po_validation",)),
    Example("purchase_order_ingestion", "The Performance",
            "paginated, rate-limited API -> NDJSON in the bucket -> star schema",
            "backfill 3 days", ("purchase_order_ingestion",)),
    Example("resilient_elt", "Walkthrough 1",
            "parallel extracts, typed CSV + NDJSON, truncate-and-load", "backfill 2 days",
            ("resilient_elt",)),
    Example("alert_to_ticket", "Scaling the Orchestra (alert-to-ticket)",
            "a Jira sink: ticket created, updated, resolved", "backfill during an outage, then after",
            ("alert_to_ticket",)),
    Example("spend_analytics", "Scaling the Orchestra (spend analytics)",
            "MERGE INTO in one SqlTask transaction", "backfill 3 hours", ("spend_analytics",)),
    Example("data_product_publish", "The Future Stage (data mesh)",
            "a data product gated by drift before publishing", "backfill 4 days",
            ("data_product_publish",)),
    Example("lineage_catalog", "Architecting Your Score / The Future Stage",
            "a dataset-triggered consumer domain, catalog and lineage", "dataset updates",
            ("inventory_forecast",), requires=("data_product_publish",)),
    Example("po_file_events", "Walkthrough 2",
            "FileArrival, JSON Schema, error topic, queue subscribers, a ticket per bad file",
            "files dropped in the bucket",
            ("po_file_function", "po_validated_loader", "po_error_log")),
    Example("ddos_response_playbook", "The Symphony of Data (response playbook)",
            "a signed webhook trigger, mitigations, a Highest ticket", "webhook POSTed to legato server",
            ("ddos_response_playbook",)),
)
BY_NAME = {e.name: e for e in GALLERY}


def plan(names: list[str]) -> list[Example]:
    """The examples to run for `names`, with what they require, in gallery order."""
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise KeyError(f"no example {unknown[0]!r} in the gallery (legato demo --list shows them)")
    wanted = set(names)
    for name in names:
        wanted.update(BY_NAME[name].requires)
    return [e for e in GALLERY if e.name in wanted]


def find_examples(explicit: Path | None = None) -> Path:
    """The examples folder: `explicit`, else ./examples, else the source checkout's."""
    candidates = [explicit] if explicit is not None else [
        Path.cwd() / "examples", Path(__file__).resolve().parents[3] / "examples"]
    for folder in candidates:
        if folder is not None and (folder / "po_file_events.py").is_file():
            return folder.resolve()
    where = explicit or "./examples or the source checkout"
    raise FileNotFoundError(f"the example gallery is not in {where}: run `legato demo --all` from "
                            "a clone of the repository, or give --examples DIR")
