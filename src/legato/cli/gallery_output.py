"""What `legato demo --all | NAME` prints: a line per example as it ends, then the summary a
person would rather look at than read: the examples and their runs, the tickets and their
lifecycle, incidents, dead letters and replays, drift held, rows landed, what reached the
stand-ins, and the data product's lineage; then the commands to explore the demo's store."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .output import styled, table

MARK = {True: "[green]✓[/green]", False: "[red]✗[/red]"}


def _states(runs: list[dict[str, Any]], width: int = 0) -> str:
    """"success x2, failed x1", styled, padded to `width` visible characters."""
    counts = sorted(Counter(r["state"] for r in runs).items())
    plain = ", ".join(f"{s} x{n}" for s, n in counts) or "-"
    text = ", ".join(f"{styled(s)} x{n}" for s, n in counts) or "-"
    return text + " " * max(0, width - len(plain))


def print_progress(out: Any, result: Any) -> None:
    out.print(f"  {MARK[result.ok]} {result.name:<30} {result.how:<38} "
              f"{_states(result.runs, 24)} {result.seconds:5.1f} s")
    for expected, held in result.checks:
        if not held:
            out.print(f"      [red]expected:[/red] {expected}", highlight=False)
    if result.error:
        out.print(f"      [red]error:[/red] {result.error}", highlight=False, markup=True)


def print_gallery(out: Any, report: Any) -> None:
    s = report.summary
    _examples(out, report)
    _tickets(out, s, report.helpdesk_url)
    _quality(out, s)
    _rows(out, s)
    _lineage(out, s)
    good = sum(r.ok for r in report.results)
    verdict = "[green]behaved as designed[/green]" if report.ok else "[red]did not all behave[/red]"
    out.print(f"\n{good} of {len(report.results)} example(s) {verdict} in {report.seconds:.1f} s "
              f"(runs meant to fail included).")
    _explore(out, report)


def _examples(out: Any, report: Any) -> None:
    rows = [[MARK[r.ok], r.name, r.how, len(r.runs), _states(r.runs),
             f"{sum(h for _, h in r.checks)}/{len(r.checks)}"] for r in report.results]
    out.print(table("examples", ["", "example", "driven by", "runs", "states", "checks"], rows))


def _tickets(out: Any, s: dict[str, Any], helpdesk_url: str) -> None:
    t = s["tickets"]
    title = (f"helpdesk tickets: {t['opened']} opened, {t['updated']} updated, "
             f"{t['resolved']} resolved")
    out.print(table(title, ["key", "priority", "status", "comments", "summary"], [
        [i["key"], i["priority"], i["status"], i["comments"], i["summary"][:70]] for i in t["items"]]))
    inc = s["incidents"]
    out.print(f"Legato's own incidents: {inc.get('open', 0)} open, {inc.get('resolved', 0)} "
              f"resolved (legato incidents list)", highlight=False)


def _quality(out: Any, s: dict[str, Any]) -> None:
    letters = s["dead_letters"]
    out.print(table("dead letters and replays", ["DAG", "pending", "replayed"], [
        [dag, c.get("pending", 0), c.get("replayed", 0)] for dag, c in letters.items()]))
    out.print(table("drift held (publication stopped, data quarantined)",
                    ["dataset", "DAG", "drifted columns"],
                    [[d["dataset"], d["dag_id"], ", ".join(d["drifted"])] for d in s["drift"]]))


def _rows(out: Any, s: dict[str, Any]) -> None:
    items = sorted(s["rows"].items())
    half = (len(items) + 1) // 2
    left, right = items[:half], items[half:] + [("", "")] * (2 * half - len(items))
    out.print(table("rows landed in the warehouse", ["table", "rows", "table", "rows"],
                    [[a, n, b, m] for (a, n), (b, m) in zip(left, right, strict=True)]))
    w = s["stand_ins"]
    out.print(f"stand-ins: procurement API {w['procurement_calls']} calls ({w['rate_limited_429']} "
              f"answered 429, {w['failed_503']} answered 503, all retried), "
              f"{w['replenishment_orders']} replenishment orders; chat {w['chat_messages']} "
              f"message(s); BI {w['bi_refreshes']} refresh(es), {w['bi_refused']} refused; "
              f"DDoS {w['ddos_reroutes']} reroute(s); bucket {w['bucket_files']} file(s)",
              highlight=False)


def _lineage(out: Any, s: dict[str, Any]) -> None:
    graph = s.get("lineage")
    if not graph:
        return
    out.print(f"\nlineage of the data product {graph['root']} ([task], dataset):",
              highlight=False, markup=False)
    for path in flow_paths(graph["edges"]):
        out.print("  " + "\n    -> ".join(_node(n) for n in path), highlight=False, markup=False)


def flow_paths(edges: list[tuple[str, str]]) -> list[list[str]]:
    """Every path from a node nothing feeds to a node that feeds nothing (the graph is small)."""
    after: dict[str, list[str]] = {}
    for source, target in edges:
        after.setdefault(source, []).append(target)
    fed = {t for _, t in edges}
    paths: list[list[str]] = []

    def walk(path: list[str]) -> None:
        nxt = [n for n in after.get(path[-1], []) if n not in path]
        if not nxt:
            paths.append(path)
        for n in nxt:
            walk([*path, n])

    for start in sorted({s for s, _ in edges} - fed):
        walk([start])
    return paths


def _node(node: str) -> str:
    kind, _, name = node.partition(":")
    return f"[{name}]" if kind == "task" else name


def _explore(out: Any, report: Any) -> None:
    home = report.home
    out.print("\nexplore it (the demo's store):", highlight=False)
    for cmd in ((f"export LEGATO_HOME={home} LEGATO_DATABASE_URL=sqlite:///{home / 'legato.db'} "
                f"LEGATO_DAGS={report.examples_dir}"),
                "legato runs list", "legato incidents list", "legato dlq list",
                "legato quality reports", "legato datasets list",
                "legato lineage duckdb://warehouse/product_purchase_orders_daily --depth 3",
                "legato up      # the web UI on 127.0.0.1:8080"):
        out.print(f"  {cmd}", highlight=False, markup=False, soft_wrap=True)
