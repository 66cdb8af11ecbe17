"""`import legato` must stay light: no database, server or template engine at import."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ["sqlalchemy", "alembic", "jinja2", "typer", "rich", "croniter", "fastapi", "pandas"]


def test_import_legato_pulls_no_heavy_modules() -> None:
    code = ("import sys, legato; "
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_public_names_are_exported() -> None:
    import legato
    from legato import tasks

    for name in ("DAG", "task", "Dataset", "Skip", "Fail", "chain"):
        assert hasattr(legato, name), name
    for name in ("EmptyTask", "PythonTask", "BranchTask", "ShellTask"):
        assert hasattr(tasks, name), name
