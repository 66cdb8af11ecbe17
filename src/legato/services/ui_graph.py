"""The DAG graph of the web UI, laid out on the server with a layered (Sugiyama) algorithm.

Pure functions, no I/O but `graph()`: tasks flow left to right in layers (longest path from a
root); an edge spanning several layers gets a dummy node in each layer it crosses, so it is
routed around the tasks in between instead of through them; the order within each layer is
improved by barycenter sweeps (kept only while they reduce crossings); then each node is pulled
towards its neighbours' average height with the layer order and spacing preserved. The browser
only zooms and pans the SVG (static/graph.js); no layout library is shipped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..config import Settings
from ..store import runs as run_store
from ..store import tries as try_store
from ..store.db import open_engine
from .queries import NotFound
from .ui_views import _last_runs, dag_shape, fold_mix

NODE_W, NODE_H, GAP_X, GAP_Y, MARGIN = 170, 34, 70, 14, 12
SWEEPS = 12
Point = tuple[float, float]


def layers_of(order: Sequence[str], upstream: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Layer = longest path from a root (Kahn's order); a task on a cycle goes last."""
    ups = {t: [u for u in upstream.get(t, ()) if u in upstream] for t in order}
    waiting = {t: len(us) for t, us in ups.items()}
    downs: dict[str, list[str]] = defaultdict(list)
    for t, us in ups.items():
        for u in us:
            downs[u].append(t)
    ready = [t for t in order if waiting[t] == 0]
    layer: dict[str, int] = {}
    while ready:
        task = ready.pop(0)
        layer[task] = 1 + max((layer[u] for u in ups[task] if u in layer), default=-1)
        for d in downs[task]:
            waiting[d] -= 1
            if waiting[d] == 0:
                ready.append(d)
    last = max(layer.values(), default=-1)
    return {t: layer.get(t, last + 1) for t in order}


def _with_dummies(order: Sequence[str], upstream: Mapping[str, Sequence[str]],
                  layer: dict[str, int]) -> tuple[list[list[str]], dict[str, list[str]], dict]:
    """(nodes per layer, upstream of each node incl. dummies, edge -> its chain of nodes)."""
    rank = dict(layer)
    ups: dict[str, list[str]] = {t: [] for t in order}
    chains: dict[tuple[str, str], list[str]] = {}
    for t in order:
        for u in upstream.get(t, ()):
            if u not in rank or rank[u] >= rank[t]:
                continue
            chain, prev = [u], u
            for k in range(rank[u] + 1, rank[t]):
                dummy = f"\0{u}\0{t}\0{k}"
                rank[dummy], ups[dummy] = k, [prev]
                chain.append(dummy)
                prev = dummy
            ups[t].append(prev)
            chains[(u, t)] = [*chain, t]
    layers: list[list[str]] = [[] for _ in range(max(rank.values(), default=-1) + 1)]
    for node in [*order, *(n for n in rank if n not in layer)]:
        layers[rank[node]].append(node)
    return layers, ups, chains


def _crossings(upper: list[str], lower: list[str], ups: dict[str, list[str]]) -> int:
    pos = {n: i for i, n in enumerate(upper)}
    ends = [pos[u] for n in lower for u in ups.get(n, ()) if u in pos]
    return sum(1 for i in range(len(ends)) for j in range(i + 1, len(ends)) if ends[j] < ends[i])


def _total_crossings(layers: list[list[str]], ups: dict[str, list[str]]) -> int:
    return sum(_crossings(layers[i], layers[i + 1], ups) for i in range(len(layers) - 1))


def _barycenter(node: str, current: int, links: dict[str, list[str]], ref: dict[str, int]) -> float:
    ps = [ref[n] for n in links.get(node, ()) if n in ref]
    return sum(ps) / len(ps) if ps else float(current)


def _sweep(layers: list[list[str]], ups: dict[str, list[str]], downs: dict[str, list[str]],
           forward: bool) -> list[list[str]]:
    new = [list(layer) for layer in layers]
    links = ups if forward else downs
    for i in (range(1, len(new)) if forward else range(len(new) - 2, -1, -1)):
        ref = {n: k for k, n in enumerate(new[i - 1 if forward else i + 1])}
        keyed = sorted(((_barycenter(n, k, links, ref), k), n) for k, n in enumerate(new[i]))
        new[i] = [n for _, n in keyed]
    return new


def order_layers(layers: list[list[str]], ups: dict[str, list[str]]) -> list[list[str]]:
    """Barycenter sweeps down and up, keeping the order with the fewest crossings."""
    downs: dict[str, list[str]] = defaultdict(list)
    for n, us in ups.items():
        for u in us:
            downs[u].append(n)
    best, best_count = layers, _total_crossings(layers, ups)
    current = layers
    for k in range(SWEEPS):
        current = _sweep(current, ups, downs, forward=k % 2 == 0)
        count = _total_crossings(current, ups)
        if count < best_count:
            best, best_count = current, count
        if best_count == 0:
            break
    return best


def _place_column(nodes: list[str], want: dict[str, float], height: dict[str, float]) -> dict[str, float]:
    """`want` has every node of the column (its current top when it has no neighbours)."""
    # tops near `want` keeping the order and spacing: the mean of a push-down and a push-up
    # placement, made non-overlapping again
    down, floor = {}, float("-inf")
    for n in nodes:
        down[n] = max(want[n], floor)
        floor = down[n] + height[n] + GAP_Y
    up, ceiling = {}, float("inf")
    for n in reversed(nodes):
        up[n] = min(want[n], ceiling - height[n] - GAP_Y)
        ceiling = up[n]
    tops, floor = {}, float("-inf")
    for n in nodes:
        tops[n] = max((down[n] + up[n]) / 2, floor)
        floor = tops[n] + height[n] + GAP_Y
    return tops


def assign_rows(layers: list[list[str]], ups: dict[str, list[str]], real: set[str]) -> dict[str, float]:
    """Vertical position (top) of every node: neighbours' average, four relaxation passes."""
    height = {n: (NODE_H if n in real else 2.0) for layer in layers for n in layer}
    top: dict[str, float] = {}
    for layer in layers:
        y = 0.0
        for n in layer:
            top[n], y = y, y + height[n] + GAP_Y
    downs: dict[str, list[str]] = defaultdict(list)
    for n, us in ups.items():
        for u in us:
            downs[u].append(n)
    for k in range(4):
        for layer in (layers if k % 2 == 0 else list(reversed(layers))):
            want = {n: top[n] for n in layer}
            for n in layer:
                near = [top[m] + height[m] / 2 for m in ups.get(n, []) + downs.get(n, [])]
                if near:
                    want[n] = sum(near) / len(near) - height[n] / 2
            top.update(_place_column(layer, want, height))
    shift = min(top.values(), default=0.0)
    return {n: y - shift for n, y in top.items()}


@dataclass(frozen=True)
class Layout:
    boxes: dict[str, Point]                   # task -> (x, y) of its top-left corner
    edges: list[tuple[str, str, list[Point]]]  # upstream, task, the points the edge passes
    width: int
    height: int


def layout(order: Sequence[str], upstream: Mapping[str, Sequence[str]]) -> Layout:
    """Place every task; pure, deterministic for a given order and upstream map."""
    layer = layers_of(order, upstream)
    layers, ups, chains = _with_dummies(order, upstream, layer)
    layers = order_layers(layers, ups)
    tops = assign_rows(layers, ups, set(order))
    x = {n: MARGIN + i * (NODE_W + GAP_X) for i, nodes in enumerate(layers) for n in nodes}
    boxes = {t: (float(x[t]), MARGIN + tops[t]) for t in order}
    edges = []
    for (u, t), chain in chains.items():
        points = [(x[u] + NODE_W, boxes[u][1] + NODE_H / 2)]
        points += [(x[d] + NODE_W / 2, MARGIN + tops[d] + 1) for d in chain[1:-1]]
        points.append((float(x[t]), boxes[t][1] + NODE_H / 2))
        edges.append((u, t, points))
    width = max((bx for bx, _ in boxes.values()), default=0) + NODE_W + MARGIN
    height = max((MARGIN + y for y in tops.values()), default=0) + NODE_H + MARGIN
    return Layout(boxes, edges, int(width), int(height))


def edge_path(points: list[Point]) -> str:
    """An SVG path through the points, each hop a horizontal-tangent cubic curve."""
    (x0, y0), rest = points[0], points[1:]
    d = [f"M{x0:.1f},{y0:.1f}"]
    px, py = x0, y0
    for x, y in rest:
        mid = (px + x) / 2
        d.append(f"C{mid:.1f},{py:.1f} {mid:.1f},{y:.1f} {x:.1f},{y:.1f}")
        px, py = x, y
    return " ".join(d)


@dataclass(frozen=True)
class GraphNode:
    task_id: str
    x: float
    y: float
    state: str
    mix: str | None
    instances: int                  # of a mapped task in this run; 1 otherwise
    mapped: bool


@dataclass(frozen=True)
class GraphView:
    dag_id: str
    run_id: str | None
    nodes: list[GraphNode]
    edges: list[tuple[str, str, str]]        # upstream, task, SVG path
    width: int
    height: int
    node_w: int = NODE_W
    node_h: int = NODE_H


def graph(settings: Settings, dag_id: str, run_id: str | None = None) -> GraphView:
    """The DAG laid out in layers, coloured by the states of `run_id` (default: the latest run)."""
    shape = dag_shape(settings, dag_id)
    with open_engine(settings.database_url).connect() as conn:
        if run_id is None:
            latest = _last_runs(conn, dag_id, 1)
            run_id = latest[0].run_id if latest else None
        elif (found := run_store.get_run(conn, run_id)) is None or found.dag_id != dag_id:
            raise NotFound(f"DAG {dag_id!r} has no run {run_id!r}")
        rows = try_store.instances_of_run(conn, run_id) if run_id else []
    states: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        states[r.task_id].append(r.state)
    placed = layout(shape.order, shape.upstream)
    nodes = []
    for t, (x, y) in placed.boxes.items():
        state, mix = fold_mix(states[t]) if states[t] else ("none", None)
        nodes.append(GraphNode(t, x, y, state, mix, len(states[t]), t in shape.mapped))
    edges = [(u, t, edge_path(points)) for u, t, points in placed.edges]
    return GraphView(dag_id, run_id, nodes, edges, placed.width, placed.height)
