"""Run the demo DAG on a store of its own and gather what happened, for `legato demo`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEMO_DIR = Path(__file__).parent / "dags"        # DAG files only: LEGATO_DAGS for `legato up`
DEMO_FILE = DEMO_DIR / "legato_demo.py"
_ISOLATE = ("LEGATO_INCIDENTS", "LEGATO_SECRET_KEY")   # never the user's sinks or key


@dataclass(frozen=True)
class DemoReport:
    home: Path
    run_id: str
    state: str
    tasks: dict[str, dict[str, Any]]
    dead_letters: list[dict[str, Any]]
    incidents: list[dict[str, Any]]
    masked_line: str | None

    def to_json(self) -> dict[str, Any]:
        return {"home": str(self.home), "run_id": self.run_id, "state": self.state,
                "tasks": self.tasks, "dead_letters": self.dead_letters,
                "incidents": self.incidents, "masked_log_line": self.masked_line}


def point_settings_at(home: Path) -> None:
    """This process's settings now name `home` (and its own SQLite store), whatever
    LEGATO_HOME / LEGATO_DATABASE_URL said: the demo never writes to a real store."""
    os.environ["LEGATO_HOME"] = str(home)
    os.environ["LEGATO_DATABASE_URL"] = f"sqlite:///{home / 'legato.db'}"
    os.environ["LEGATO_DAGS"] = str(DEMO_DIR)
    for name in _ISOLATE:
        os.environ.pop(name, None)


def run_demo(home: Path) -> DemoReport:
    from ..authoring.loader import load_file
    from ..config import load_settings
    from ..security.secrets import SecretStore
    from ..services import dead_letters, incidents, queries

    point_settings_at(home)
    settings = load_settings()
    SecretStore(settings.database_url, settings.home).set_variable(
        "demo_api_token", "demo-crm-token-4f9a27c1")
    loaded = load_file(DEMO_FILE)
    if loaded.errors:
        raise RuntimeError(f"the demo DAG failed to load: {loaded.errors[0]}")
    result = loaded.dags[0].run(logical_date="2024-01-01")
    tasks = {t: {"state": r.state, "tries": r.tries, "error": r.error}
             for t, r in result.tasks.items()}
    letters = [{"id": d.id, "task_id": d.task_id, "record": d.record,
                "errors": [e.get("message") for e in d.errors]}
               for d in dead_letters.list_letters(settings, run_id=result.run_id)]
    opened = [{"id": i.id, "task_id": i.task_id, "state": i.state, "error": i.error}
              for i in incidents.list_incidents(settings, dag_id="legato_demo")]
    log = queries.read_log(settings, result.run_id, "extract", 1).text
    masked = next((line for line in log.splitlines() if "calling the CRM" in line), None)
    return DemoReport(home, result.run_id, result.state, tasks, letters, opened, masked)
