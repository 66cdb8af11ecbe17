"""A DAG's details page and its source code view (viewer role).

Details come from the stored spec (what the scheduler runs) with the DAG file's description
and documentation when the file still defines the DAG. The source view reads only the DAG's
own file, and only when it lies inside the DAGs folder (a DAG object's `fileloc` is data); the
page names it relative to that folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Settings
from . import queries
from .queries import NotFound
from .ui_views import relative_file, stored_spec

MAX_SOURCE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class TaskRow:
    task_id: str
    kind: str
    trigger_rule: str
    retries: int
    upstream: tuple[str, ...]
    mapped: bool
    is_branch: bool
    owner: str
    doc: str | None = None


@dataclass
class DagDetails:
    dag_id: str
    file: str                                  # relative to the DAGs folder
    schedule: str | None
    start_date: str | None
    is_paused: bool
    tags: tuple[str, ...]
    max_active_runs: int
    params: dict[str, Any]
    description: str | None
    owners: tuple[str, ...]
    tasks: list[TaskRow] = field(default_factory=list)
    datasets: list[dict[str, Any]] = field(default_factory=list)
    in_folder: bool = True                     # the DAG file defines it now


def _dag_object(settings: Settings, dag_id: str) -> Any:
    return next((d for d in queries.discover_dags(settings).dags if d.dag_id == dag_id), None)


def details(settings: Settings, dag_id: str) -> DagDetails:
    spec, paused = stored_spec(settings, dag_id)
    dag = _dag_object(settings, dag_id)
    tasks = spec.get("tasks", {})
    rows = [TaskRow(t, tasks[t].get("kind", "?"), tasks[t].get("trigger_rule", "all_success"),
                    int(tasks[t].get("retry", {}).get("retries", 0)), tuple(tasks[t].get("upstream", ())),
                    bool(tasks[t].get("map_sources")), bool(tasks[t].get("is_branch")),
                    str(tasks[t].get("owner", "")),
                    getattr(dag.tasks.get(t), "doc", None) if dag is not None and t in dag.tasks else None)
            for t in spec.get("order") or tasks]
    return DagDetails(
        dag_id, relative_file(settings, spec.get("fileloc", "")), spec.get("schedule"),
        spec.get("start_date"), paused, tuple(spec.get("tags", ())), int(spec.get("max_active_runs", 16)),
        dict(spec.get("params", {})),
        getattr(dag, "description", None) or spec.get("description"),
        tuple(sorted({r.owner for r in rows if r.owner})), rows,
        list(spec.get("datasets", ())), dag is not None)


@dataclass(frozen=True)
class Source:
    dag_id: str
    file: str
    lines: list[str]


def source(settings: Settings, dag_id: str) -> Source:
    """The text of the file that defines `dag_id` now (NotFound outside the DAGs folder)."""
    dag = _dag_object(settings, dag_id)
    if dag is None:
        raise NotFound(f"no DAG {dag_id!r} in the DAGs folder")
    path = Path(dag.fileloc).resolve()
    if not path.is_relative_to(settings.dags_folder.resolve()) or not path.is_file():
        raise NotFound(f"the file of DAG {dag_id!r} is not in the DAGs folder")
    if path.stat().st_size > MAX_SOURCE_BYTES:
        raise NotFound(f"the file of DAG {dag_id!r} is larger than {MAX_SOURCE_BYTES // 1024} KiB")
    text = path.read_text(encoding="utf-8", errors="replace")
    return Source(dag_id, relative_file(settings, str(path)), text.splitlines())
