"""Settings, read once from the environment: where Legato keeps its state and finds DAGs.

`LEGATO_HOME` (default `~/.legato`) holds the SQLite database, logs and large results;
`LEGATO_DATABASE_URL` overrides the database; `LEGATO_DAGS` (default `./dags`) is where DAG
files are looked for.
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
    return Settings(home=home, database_url=url, dags_folder=dags)
