"""DESIGN.md's layering, checked: the import-linter contracts hold, they cover every package,
and the store imports nothing but SQLAlchemy, Alembic and the standard library.

`.ci/run` runs `lint-imports` before the tests; these tests make `python -m pytest` alone catch
a broken layer too, and check what import-linter cannot say: a positive list of what the store
may import, and that a new top-level package cannot slip past the layers contract unplaced.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

import legato
from legato import DAG, Dataset
from legato.authoring.errors import DagDefinitionError
from legato.incidents import Webhook
from legato.schedules.timetable import ScheduleError, validate_schedule

ROOT = Path(__file__).resolve().parents[1]
LEAVES = ("legato.config", "legato.errors", "legato.extras", "legato.retrying",   # stdlib only
          "legato.atomicfile")
STORE_MAY_IMPORT = {"sqlalchemy", "alembic", "legato.store", *LEAVES[2:]}
# store/results.py writes a NumPy array or an Arrow table it is handed in their own formats
# (issue 16), importing them only then: the one exception, in docs/design-notes.md.
RESULT_CODECS = {"numpy", "pyarrow"}


def _importlinter() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def _contract(contract_id: str) -> dict:
    return next(c for c in _importlinter()["contracts"] if c["id"] == contract_id)


def test_lint_imports_keeps_every_contract() -> None:
    exe = shutil.which("lint-imports")
    assert exe, "lint-imports is missing: pip install -e '.[test]' installs import-linter"
    done = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_every_top_level_package_has_a_layer() -> None:
    names = [name.strip() for layer in _contract("layers")["layers"]
             for name in layer.replace(":", "|").split("|")]
    required = {n for n in names if not n.startswith("(")}
    placed = required | {n.strip("()") for n in names}
    src = Path(legato.__file__).parent
    present = {p.name for p in src.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    present |= {p.stem for p in src.glob("*.py") if p.stem != "__init__"}
    assert present - placed == set(), "place these in pyproject's layers contract (DESIGN.md)"
    assert required - present == set(), "the layers contract names packages that do not exist"
    # An optional "(name)" layer was for a module still being written; every one has landed,
    # so a module that disappears must now fail the contract rather than pass it quietly.
    assert required == set(names), "no optional layers: a placed module must exist"


def _outside(graph: grimp.ImportGraph, package: str, allowed: set[str]) -> set[str]:
    """The imports of `package` (and its descendants) that are neither stdlib nor allowed."""
    bad = set()
    for module in graph.find_descendants(package) | {package}:
        for imported in graph.find_modules_directly_imported_by(module):
            ok = imported.split(".")[0] in sys.stdlib_module_names or any(
                imported == a or imported.startswith(a + ".") for a in allowed)
            if not ok:
                bad.add(f"{module} -> {imported}")
    return bad


def test_store_imports_only_sqlalchemy_alembic_and_the_standard_library() -> None:
    graph = grimp.build_graph("legato", include_external_packages=True, cache_dir=None)
    outside = _outside(graph, "legato.store", STORE_MAY_IMPORT)
    assert outside - {f"legato.store.results -> {m}" for m in RESULT_CODECS} == set()
    for leaf in LEAVES:      # what the store may import of Legato is stdlib-only itself
        if leaf in graph.modules:
            assert _outside(graph, leaf, set(LEAVES)) == set()


def test_authoring_recognises_incident_sinks_without_importing_incidents() -> None:
    with DAG("sinks_ok", incidents=[Webhook("https://example.org/hook")]) as dag:
        pass
    assert [s.to_spec()["type"] for s in dag.incidents] == ["webhook"]
    for bad in ("https://example.org/hook", Webhook):
        with pytest.raises(DagDefinitionError, match=r"DAG 'sinks_bad': incidents=\[\.\.\.\] takes sink"):
            DAG("sinks_bad", incidents=[bad])


def test_schedules_recognise_datasets_by_their_mark() -> None:
    validate_schedule([Dataset("s3://bucket/a"), Dataset("s3://bucket/b")])
    with pytest.raises(ScheduleError, match="schedule list item 1 is 'x'"):
        validate_schedule([Dataset("s3://bucket/a"), "x"])
