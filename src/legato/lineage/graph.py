"""The lineage graph: datasets and tasks as nodes, reads and writes as edges. Pure.

Nodes are `dataset:<uri>` and `task:<dag_id>.<task_id>`; an edge runs the way data flows:
dataset -> task for a read (inlet), task -> dataset for a write (outlet). `walk` follows the
flow upstream (who made this, from what) or downstream (who reads this, what they make) for
`depth` steps, one step being dataset -> task -> dataset.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

UP, DOWN, BOTH = "upstream", "downstream", "both"
DIRECTIONS = (UP, DOWN, BOTH)


def dataset_node(uri: str) -> str:
    return f"dataset:{uri}"


def task_node(dag_id: str, task_id: str) -> str:
    return f"task:{dag_id}.{task_id}"


@dataclass
class Graph:
    root: str
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: set[tuple[str, str]] = field(default_factory=set)      # (source, target)

    def to_json(self) -> dict[str, Any]:
        return {"root": self.root, "nodes": [self.nodes[k] for k in sorted(self.nodes)],
                "edges": [{"source": s, "target": t,
                           "kind": "writes" if s.startswith("task:") else "reads"}
                          for s, t in sorted(self.edges)]}


class _Index:
    def __init__(self, refs: Iterable[Any]) -> None:
        self.writers: dict[str, set[tuple[str, str]]] = {}   # uri -> tasks writing it
        self.readers: dict[str, set[tuple[str, str]]] = {}   # uri -> tasks reading it
        self.reads: dict[tuple[str, str], set[str]] = {}      # task -> uris it reads
        self.writes: dict[tuple[str, str], set[str]] = {}     # task -> uris it writes
        for r in refs:
            task = (r.dag_id, r.task_id)
            if r.role == "outlet":
                self.writers.setdefault(r.uri, set()).add(task)
                self.writes.setdefault(task, set()).add(r.uri)
            else:
                self.readers.setdefault(r.uri, set()).add(task)
                self.reads.setdefault(task, set()).add(r.uri)


def _add_dataset(g: Graph, uri: str, level: int) -> None:
    g.nodes.setdefault(dataset_node(uri), {"id": dataset_node(uri), "kind": "dataset",
                                           "uri": uri, "label": uri, "level": level})


def _add_task(g: Graph, task: tuple[str, str], level: int) -> None:
    node = task_node(*task)
    g.nodes.setdefault(node, {"id": node, "kind": "task", "dag_id": task[0],
                              "task_id": task[1], "label": f"{task[0]}.{task[1]}",
                              "level": level})


def walk(refs: Iterable[Any], uri: str, direction: str = BOTH, depth: int = 3) -> Graph:
    """The part of the graph within `depth` steps of `uri`. `level` on each node is its
    distance in edges from the root, negative upstream and positive downstream."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
    index, g = _Index(refs), Graph(dataset_node(uri))
    _add_dataset(g, uri, 0)
    if direction in (UP, BOTH):
        _walk(index, g, uri, depth, upstream=True)
    if direction in (DOWN, BOTH):
        _walk(index, g, uri, depth, upstream=False)
    return g


def _walk(index: _Index, g: Graph, root: str, depth: int, *, upstream: bool) -> None:
    sign, frontier, seen = (-1 if upstream else 1), [root], {root}
    for step in range(depth):
        nxt: list[str] = []
        for uri in frontier:
            tasks = (index.writers if upstream else index.readers).get(uri, set())
            for task in sorted(tasks):
                _add_task(g, task, sign * (2 * step + 1))
                tnode, dnode = task_node(*task), dataset_node(uri)
                g.edges.add((tnode, dnode) if upstream else (dnode, tnode))
                for other in sorted((index.reads if upstream else index.writes).get(task, ())):
                    _add_dataset(g, other, sign * (2 * step + 2))
                    onode = dataset_node(other)
                    g.edges.add((onode, tnode) if upstream else (tnode, onode))
                    if other not in seen:
                        seen.add(other)
                        nxt.append(other)
        frontier = nxt
        if not frontier:
            break
