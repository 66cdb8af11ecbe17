"""Running the corpus of Airflow DAG files on Legato and comparing with what Airflow did.

dags/expected.json was recorded with REAL Airflow 3.3.2 (tools/record_airflow.py runs
`airflow dags test -f FILE DAG_ID 2024-01-03` for every DAG of every file and reads the final
run state and each task instance's state from Airflow's database). `outcome` runs the same
DAG on Legato and returns the same shape, so a test compares the two dicts.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
DAGS = HERE / "dags"
DATE = "2024-01-03T00:00:00+00:00"


def expected() -> dict[str, Any]:
    return json.loads((DAGS / "expected.json").read_text())


def dag_ids(path: Path) -> list[str]:
    for line in path.read_text().splitlines()[:5]:
        m = re.match(r"#\s*dags:\s*(.+)", line)
        if m:
            return [d.strip() for d in m.group(1).split(",")]
    return [path.stem]


def outcome(path: Path, dag_id: str, executor: str = "inline") -> dict[str, Any]:
    """{"state": ..., "tasks": {task_id or task_id[i]: state}} of one Legato run, or
    {"error": message} when Legato refuses the file or the run (as Airflow may)."""
    from legato.authoring.loader import load_file

    loaded = load_file(path)
    if loaded.errors:
        return {"error": str(loaded.errors[0])}
    dag = next((d for d in loaded.dags if d.dag_id == dag_id), None)
    if dag is None:
        return {"error": f"no DAG {dag_id!r} in {path.name}"}
    try:
        result = dag.run(logical_date=DATE, executor=executor)
    except ValueError as exc:          # e.g. params that fail their schema
        return {"error": str(exc)}
    return {"state": result.state, "tasks": task_states(result.run_id)}


def task_states(run_id: str) -> dict[str, str]:
    """Each task instance's state, keyed as the recorder keys Airflow's (`task[i]` if mapped)."""
    from legato.config import load_settings
    from legato.store.db import open_engine
    from legato.store.tries import instances_of_run

    with open_engine(load_settings().database_url).connect() as conn:
        rows = instances_of_run(conn, run_id)
    return {(r.task_id if r.map_index < 0 else f"{r.task_id}[{r.map_index}]"): r.state
            for r in rows}


def same(got: dict[str, Any], want: dict[str, Any]) -> bool:
    if "error" in want or "error" in got:
        return ("error" in want) == ("error" in got)
    return got["state"] == want["state"] and got["tasks"] == want["tasks"]
