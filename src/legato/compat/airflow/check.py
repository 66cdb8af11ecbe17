"""`legato airflow check DIR`: a migration report, per DAG file, a team can act on.

Each file is loaded as Legato loads it (the `airflow` names served by this package); the
report says "runs unchanged", or lists what stops it (the import error, naming the operator
and its replacement) and what Legato accepts but ignores (the notes logged while loading:
deprecated spellings, default_args without effect, operators run differently).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from . import registry


@dataclass
class FileReport:
    file: str
    dags: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)     # the file does not load
    changes: list[str] = field(default_factory=list)    # it loads; these are ignored or differ

    @property
    def runs_unchanged(self) -> bool:
        return not self.errors and not self.changes

    def to_json(self) -> dict[str, object]:
        return {"file": self.file, "dags": self.dags, "runs_unchanged": self.runs_unchanged,
                "errors": self.errors, "changes": self.changes}


def _uses_airflow(path: Path) -> bool:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return False
    return "airflow" in text


def check_file(path: Path) -> FileReport:
    from ...authoring.loader import load_file

    report = FileReport(str(path))
    mark = registry.notes_count()
    quiet = logging.getLogger("legato.airflow")
    level, quiet.level = quiet.level, logging.ERROR
    try:
        loaded = load_file(path)
    finally:
        quiet.setLevel(level)
    report.errors = [f"line {e.line}: {e.message}" if e.line else e.message
                     for e in loaded.errors]
    report.dags = [d.dag_id for d in loaded.dags]
    report.changes = [f"DAG {dag_id!r}: {message}" for dag_id, message in registry.notes_since(mark)]
    if not loaded.errors and not loaded.dags:
        report.errors.append("defines no DAG")
    return report


def check_folder(folder: Path) -> list[FileReport]:
    """Reports for every Airflow DAG file under `folder` (files that never mention airflow
    are Legato-native and skipped)."""
    files = [p for p in sorted(folder.rglob("*.py"))
             if not p.name.startswith("_")
             and not any(part.startswith(".") for part in p.relative_to(folder).parts)]
    return [check_file(p) for p in files if _uses_airflow(p)]
