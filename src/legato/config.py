"""Settings, read once from the environment: where Legato keeps its state and finds DAGs.

`LEGATO_HOME` (default `~/.legato`) holds the SQLite database, logs and large results;
`LEGATO_DATABASE_URL` overrides the database; `LEGATO_DAGS` (default `./dags`) is where DAG
files are looked for.

Incidents (issue 5): `LEGATO_BASE_URL` (default `http://127.0.0.1:8080`) is where the UI links
in incident events point; `LEGATO_INCIDENTS` lists global incident sinks (a JSON list of sink
specs, or comma-separated webhook URLs; see legato.incidents.config); `LEGATO_INCIDENTS_DELIVER_S`
(default 10) bounds how long `dag.run()` waits to deliver incident events before returning.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    dags_folder: Path
    base_url: str = "http://127.0.0.1:8080"
    incidents: str = ""                       # raw LEGATO_INCIDENTS, parsed by the listener
    incidents_deliver_s: float = 10.0

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def results_dir(self) -> Path:
        return self.home / "results"


def load_settings() -> Settings:
    home = Path(os.environ.get("LEGATO_HOME") or Path.home() / ".legato").expanduser()
    url = os.environ.get("LEGATO_DATABASE_URL") or f"sqlite:///{home / 'legato.db'}"
    dags = Path(os.environ.get("LEGATO_DAGS") or "dags")
    deliver = os.environ.get("LEGATO_INCIDENTS_DELIVER_S") or "10"
    try:
        deliver_s = max(0.0, float(deliver))
    except ValueError:
        raise ValueError(f"LEGATO_INCIDENTS_DELIVER_S={deliver!r} is not a number of seconds") from None
    return Settings(home=home, database_url=url, dags_folder=dags,
                    base_url=(os.environ.get("LEGATO_BASE_URL") or "http://127.0.0.1:8080").rstrip("/"),
                    incidents=os.environ.get("LEGATO_INCIDENTS") or "", incidents_deliver_s=deliver_s)
