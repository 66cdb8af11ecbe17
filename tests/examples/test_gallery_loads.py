"""The gallery as a DAGs folder: `LEGATO_DAGS=examples legato dags list --json` (a real process,
files parsed in child processes as the scheduler parses them) loads every example, at least 15
DAGs, with no import error; and every example opens with the docstring a reader needs."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

import pytest

from .conftest import EXAMPLES

GALLERY = sorted(p for p in EXAMPLES.glob("*.py") if p.name != "hello.py")


def test_dags_list_loads_the_whole_gallery(tmp_path) -> None:
    env = {**os.environ, "LEGATO_DAGS": str(EXAMPLES), "LEGATO_HOME": str(tmp_path / "home")}
    done = subprocess.run([sys.executable, "-m", "legato.cli.main", "dags", "list", "--json"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    listing = json.loads(done.stdout)
    assert listing["errors"] == []
    assert len(listing["dags"]) >= 15
    files = {os.path.basename(d["file"]) for d in listing["dags"]}
    assert files == {p.name for p in EXAMPLES.glob("*.py")}          # every file gave a DAG


@pytest.mark.parametrize("path", GALLERY, ids=lambda p: p.stem)
def test_each_example_says_what_was_asked_what_it_shows_and_how_to_run_it(path) -> None:
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    if path.stem in ("complex_financial_reporting", "purchase_orders"):
        assert "legato run examples/" in doc          # the two that need no stand-in
        return
    for part in ("What the article asked", "What this shows", "Run it"):
        assert part in doc, f"{path.name}: no '{part}' in its docstring"
    assert f"legato demo {path.stem}" in doc
