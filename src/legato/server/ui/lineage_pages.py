"""UI pages for datasets and the lineage graph. `create_app` mounts the router this builds.

`/ui/datasets` is the catalog (owner, domain, freshness, last update), `/ui/dataset?uri=` one
dataset, `/ui/lineage?uri=&depth=&direction=` its lineage as a server-rendered SVG. URIs go in
the query string (they hold slashes and colons). The graph is laid out by the DAG graph page's
`layered_layout` (services/ui_views.py): columns follow the data flow, datasets are the
rounded boxes coloured by freshness, tasks the square ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from ...config import Settings
from ...errors import InvalidInput
from ...services import lineage
from ...services.ui_graph import NODE_H, NODE_W, edge_path, layout
from .routes import render
from .session import UiSession, require_session

Uri = Annotated[str, Query(min_length=1, max_length=lineage.MAX_URI)]
FRESH_CLASS = {"fresh": "s-success", "stale": "s-failed", "unknown": "s-none"}
BADGE_CLASS = {"fresh": "s-success", "stale": "s-failed", "unknown": "s-queued"}


@dataclass(frozen=True)
class SvgNode:
    id: str
    kind: str
    label: str
    short: str
    href: str
    css: str
    x: float
    y: float


@dataclass(frozen=True)
class SvgGraph:
    nodes: list[SvgNode]
    edges: list[str]                         # SVG paths
    width: int
    height: int
    node_w: int = NODE_W
    node_h: int = NODE_H


def short(label: str, width: int = 22) -> str:
    """The end of a long label (a URI's end names the dataset better than its scheme)."""
    return label if len(label) <= width else "…" + label[-(width - 1):]


def _href(node: dict[str, Any]) -> str:
    from urllib.parse import quote

    if node["kind"] == "dataset":
        return f"/ui/dataset?uri={quote(node['uri'], safe='')}"
    return f"/ui/dags/{quote(node['dag_id'], safe='')}/graph"


def svg_graph(graph: dict[str, Any]) -> SvgGraph:
    """Place the lineage graph's nodes with the DAG graph's layered layout."""
    nodes = sorted(graph["nodes"], key=lambda n: (n["level"], n["id"]))
    upstream: dict[str, list[str]] = {n["id"]: [] for n in nodes}
    for e in graph["edges"]:
        upstream[e["target"]].append(e["source"])
    placed = layout([n["id"] for n in nodes], upstream)
    xy = placed.boxes
    out = [SvgNode(n["id"], n["kind"], n["label"], short(n["label"]), _href(n),
                   FRESH_CLASS.get(n.get("freshness", ""), "s-none") if n["kind"] == "dataset"
                   else "s-queued", *xy[n["id"]]) for n in nodes]
    edges = [edge_path(points) for _, _, points in placed.edges]
    width, height = placed.width, placed.height
    return SvgGraph(out, edges, width, height)


def build_lineage_ui(settings: Settings, record: Callable[..., None]) -> APIRouter:
    router = APIRouter(prefix="/ui", include_in_schema=False)

    def check(request: Request) -> UiSession:
        return require_session(settings, request, "viewer")

    viewer = Depends(check)

    @router.get("/datasets")
    def datasets(request: Request, session: UiSession = viewer,
                 domain: Annotated[str | None, Query(max_length=250)] = None,
                 stale: bool = False) -> HTMLResponse:
        if domain is not None and "\x00" in domain:
            raise InvalidInput("domain may not contain NUL characters")
        views = lineage.list_datasets(settings, domain=domain or None, stale=stale)
        return render(request, session, "datasets.html", datasets=views, domain=domain or "",
                      stale=stale, badge=BADGE_CLASS)

    @router.get("/dataset")
    def dataset(request: Request, uri: Uri, session: UiSession = viewer) -> HTMLResponse:
        detail = lineage.show_dataset(settings, uri)
        return render(request, session, "dataset.html", detail=detail, d=detail.dataset,
                      badge=BADGE_CLASS)

    @router.get("/lineage")
    def lineage_page(request: Request, uri: Uri, session: UiSession = viewer,
                     depth: Annotated[int, Query(ge=1, le=lineage.MAX_DEPTH)] = 3,
                     direction: Annotated[str, Query(pattern="^(upstream|downstream|both)$")] = "both",
                     ) -> HTMLResponse:
        graph = lineage.lineage(settings, uri, direction=direction, depth=depth)
        return render(request, session, "lineage.html", uri=uri, depth=depth, direction=direction,
                      view=svg_graph(graph), count=len(graph["nodes"]))

    return router
