"""What the gallery did, gathered after it ran, for the summary a person looks at: runs and
their states per DAG, the helpdesk's tickets and their lifecycle, Legato's incidents, dead
letters and replays, drift held, rows landed in the warehouse, what reached the stand-ins,
and the lineage of the data product. Plain data (`to_json`), rendered by the CLI.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from typing import Any

from .scenarios import World

PRODUCT = "duckdb://warehouse/product_purchase_orders_daily"
INTERNAL = ("legato_", "purchase_orders_stage_")


def gather(w: World, dag_ids: list[str]) -> dict[str, Any]:
    return {"runs": _runs(w, dag_ids), "tickets": _tickets(w), "incidents": _incidents(w),
            "dead_letters": _dead_letters(w), "drift": _drift(w), "rows": _rows(w),
            "stand_ins": _stand_ins(w), "lineage": _lineage(w)}


def _runs(w: World, dag_ids: list[str]) -> dict[str, dict[str, int]]:
    return {d: dict(Counter(r.state for r in w.driver.runs_of(d))) for d in dag_ids}


def _tickets(w: World) -> dict[str, Any]:
    found = w.stand_ins.helpdesk.lifecycle()
    return {"opened": len(found), "updated": sum(t["comments"] > 0 for t in found),
            "resolved": sum(t["resolved"] for t in found),
            "items": [{k: t[k] for k in ("key", "priority", "status", "comments", "summary",
                                         "labels", "assignee")} for t in found]}


def _incidents(w: World) -> dict[str, int]:
    from ..services import incidents

    return dict(Counter(i.state for i in incidents.list_incidents(w.settings, limit=1000)))


def _dead_letters(w: World) -> dict[str, dict[str, int]]:
    from ..services import dead_letters

    out: dict[str, Counter[str]] = {}
    for letter in dead_letters.list_letters(w.settings, limit=None):
        out.setdefault(letter.dag_id or "-", Counter())[letter.status] += 1
    return {dag: dict(c) for dag, c in out.items()}


def _drift(w: World) -> list[dict[str, Any]]:
    from ..services import quality

    return [{"dataset": r.dataset, "dag_id": r.dag_id, "run_id": r.run_id,
             "drifted": list(r.report.get("drifted") or []), "quarantine": r.quarantine_path}
            for r in quality.list_reports(w.settings, status="held")]


def _rows(w: World) -> dict[str, int]:
    from ..io.warehouse import Warehouse

    wh = Warehouse()
    names = [r["table_name"] for r in wh.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_type = 'BASE TABLE' ORDER BY table_name")]
    counts = {n: int(wh.query(f'SELECT count(*) AS n FROM "{n}"')[0]["n"])
              for n in names if not n.startswith(INTERNAL)}
    sqlite_wh = w.settings.home / "warehouse.db"
    if sqlite_wh.exists():
        with sqlite3.connect(sqlite_wh) as db:
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = "
                                               "'table' AND name NOT LIKE 'legato_%'")]
            counts.update({f"sqlite:{t}": db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
                           for t in tables})
    return counts


def _stand_ins(w: World) -> dict[str, Any]:
    s = w.stand_ins
    return {"procurement_calls": s.procurement.calls, "rate_limited_429": s.procurement.throttled,
            "failed_503": s.procurement.failed, "replenishment_orders": len(s.procurement.created),
            "chat_messages": len(s.chat.messages), "bi_refreshes": len(s.bi.refreshes),
            "bi_refused": len(s.bi.refused), "ddos_reroutes": len(s.ddos.reroutes),
            "bucket_files": sum(1 for p in s.bucket.rglob("*") if p.is_file())}


def _lineage(w: World) -> dict[str, Any] | None:
    from ..services import lineage
    from ..services.queries import NotFound

    try:
        graph = lineage.lineage(w.settings, PRODUCT, direction="both", depth=3)
    except NotFound:
        return None
    return {"root": PRODUCT, "edges": [(e["source"], e["target"]) for e in graph["edges"]]}
