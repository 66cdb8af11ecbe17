"""`legato db clean`: keep the store and the disk from growing for ever.

Finished runs older than a cutoff are forgotten — their rows (store/retention.py), their log
files and their result files — in batches, each batch a transaction followed by its files
(a file left behind by an interruption is removed by the next clean: the folder of a run
that no longer exists is orphaned and goes too). `dry_run` only counts.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import InvalidInput
from ..store import retention as store
from ..store.db import open_engine

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_age(text: str) -> timedelta:
    """"30d", "12h", "90m", "2w", "45s"."""
    match = _DURATION.match(text or "")
    if match is None:
        raise InvalidInput(f"--older-than {text!r}: use a number and a unit, e.g. 30d, 12h, 90m")
    return timedelta(seconds=float(match.group(1)) * _UNIT_S[match.group(2)])


@dataclass
class Cleaned:
    cutoff: datetime
    runs: int = 0
    files: int = 0
    bytes: int = 0
    dry_run: bool = False
    run_ids: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"cutoff": self.cutoff.isoformat(), "runs": self.runs, "files": self.files,
                "bytes": self.bytes, "dry_run": self.dry_run}


def _folders(settings: Settings, dag_id: str, run_id: str) -> list[Path]:
    return [settings.logs_dir / dag_id / run_id, settings.results_dir / dag_id / run_id]


def _size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()] if folder.is_dir() else []
    return len(files), sum(p.stat().st_size for p in files)


def clean(settings: Settings, older_than: timedelta, *, dry_run: bool = False,
          now: datetime | None = None) -> Cleaned:
    """Forget finished runs that ended more than `older_than` ago (see the module)."""
    cutoff = (now or datetime.now(UTC)) - older_than
    report = Cleaned(cutoff, dry_run=dry_run)
    engine = open_engine(settings.database_url)
    seen: set[str] = set()
    while True:
        with engine.begin() as conn:
            batch = [r for r in store.old_runs(conn, cutoff) if r[0] not in seen]
            if not batch:
                return report
            seen.update(r for r, _ in batch)
            if not dry_run:              # a run reopened since it was found stays, files too
                gone = set(store.delete_runs(conn, [r for r, _ in batch]))
                batch = [(r, d) for r, d in batch if r in gone]
            report.runs += len(batch)
        for run_id, dag_id in batch:
            report.run_ids.append(run_id)
            for folder in _folders(settings, dag_id, run_id):
                files, size = _size(folder)
                report.files, report.bytes = report.files + files, report.bytes + size
                if not dry_run:
                    shutil.rmtree(folder, ignore_errors=True)
