"""`legato datasets list|show` and `legato lineage`: the catalog and the lineage graph.

Exit codes as elsewhere: 0 done, 2 bad input (an unknown URI, a bad depth or domain).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..config import load_settings
from .output import console, emit_json, fail_usage, fmt_time, table

datasets_app = typer.Typer(help="Datasets: the catalog, owners, freshness.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")]
FRESH_STYLE = {"fresh": "green", "stale": "red", "unknown": "grey50"}


def _fresh(state: str) -> str:
    style = FRESH_STYLE.get(state, "white")
    return f"[{style}]{state}[/{style}]"


@datasets_app.command("list")
def list_cmd(
    domain: Annotated[str | None, typer.Option("--domain", help="Only this domain's datasets.")] = None,
    stale: Annotated[bool, typer.Option("--stale", help="Only datasets past their freshness SLO.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """The catalog: owner, domain, freshness and last update of every dataset."""
    from ..services import lineage

    views = lineage.list_datasets(load_settings(), domain=domain, stale=stale)
    if as_json:
        emit_json([v.to_json() for v in views])
        return
    rows = [[v.uri + (" (product)" if v.is_product else ""), v.owner, v.domain,
             _fresh(v.freshness), fmt_time(v.last_update.created_at) if v.last_update else "never",
             ", ".join(v.producers), ", ".join(v.consumers)] for v in views]
    console().print(table(None, ["dataset", "owner", "domain", "freshness", "last update",
                                 "producers", "consumers"], rows))


@datasets_app.command("show")
def show_cmd(uri: str, as_json: JsonOpt = False) -> None:
    """One dataset: its catalog entry, last updates, producers and consumers."""
    from ..services import lineage
    from ..services.queries import NotFound

    try:
        detail = lineage.show_dataset(load_settings(), uri)
    except (NotFound, ValueError) as exc:
        raise fail_usage(str(exc)) from None
    if as_json:
        emit_json(detail.to_json())
        return
    d, out = detail.dataset, console()
    out.print(f"[bold]{d.uri}[/bold]" + ("  [cyan]data product[/cyan]" if d.is_product else ""))
    slo = f"{d.freshness_s:g}s SLO" if d.freshness_s is not None else "no SLO"
    for label, value in (("owner", d.owner), ("domain", d.domain), ("description", d.description),
                         ("contract", d.contract), ("declared by", detail.declared_by),
                         ("producers", ", ".join(d.producers)),
                         ("consumers", ", ".join(d.consumers))):
        out.print(f"  {label:12} {value or '—'}", markup=False)
    out.print(f"  {'freshness':12} {_fresh(d.freshness)} ({slo})")
    if detail.schema:
        out.print(f"  {'schema':12} {', '.join(sorted(detail.schema.get('properties') or {}))}",
                  markup=False)
    rows = [[fmt_time(u.created_at), u.dag_id, u.task_id, u.run_id] for u in detail.updates]
    out.print(table("last updates", ["at", "dag", "task", "run"], rows) if rows
              else "  no updates yet")


def _tree(graph: dict[str, Any], upstream: bool) -> Any:
    from rich.tree import Tree

    nodes = {n["id"]: n for n in graph["nodes"]}
    edges = [(e["source"], e["target"]) for e in graph["edges"]]
    children: dict[str, list[str]] = {}
    for s, t in edges:
        parent, child = (t, s) if upstream else (s, t)
        if nodes[child]["level"] * (-1 if upstream else 1) > 0:
            children.setdefault(parent, []).append(child)

    def label(node: dict[str, Any]) -> str:
        if node["kind"] == "task":
            verb = "written by" if upstream else "read by"
            return f"[bold]{verb}[/bold] [cyan]{node['label']}[/cyan]"
        extra = f" [{FRESH_STYLE.get(node.get('freshness', ''), 'white')}]" \
                f"({node.get('freshness', 'unknown')})[/]"
        return f"{node['label']}{extra}"

    root = Tree(f"[bold]{'upstream' if upstream else 'downstream'}[/bold] of "
                f"{nodes[graph['root']]['label']}")

    def grow(tree: Any, node_id: str, path: set[str]) -> None:
        for child in sorted(set(children.get(node_id, ()))):
            if child not in path:
                grow(tree.add(label(nodes[child])), child, path | {child})

    grow(root, graph["root"], {graph["root"]})
    return root


def lineage_cmd(
    uri: str,
    upstream: Annotated[bool, typer.Option("--upstream", help="Only where it comes from.")] = False,
    downstream: Annotated[bool, typer.Option("--downstream", help="Only what it feeds.")] = False,
    depth: Annotated[int, typer.Option("--depth", help="Steps (dataset -> task -> dataset).")] = 3,
    as_json: JsonOpt = False,
) -> None:
    """The lineage of a dataset: who writes it from what, who reads it to make what."""
    from ..services import lineage
    from ..services.queries import NotFound

    direction = "both" if upstream == downstream else ("upstream" if upstream else "downstream")
    try:
        graph = lineage.lineage(load_settings(), uri, direction=direction, depth=depth)
    except (NotFound, ValueError) as exc:
        raise fail_usage(str(exc)) from None
    if as_json:
        emit_json(graph)
        return
    out = console()
    for up in (True, False):
        if direction in ("both", "upstream" if up else "downstream"):
            out.print(_tree(graph, up))


def register(app: typer.Typer) -> None:
    """Top-level commands of this module (`legato lineage`)."""
    app.command("lineage")(lineage_cmd)
