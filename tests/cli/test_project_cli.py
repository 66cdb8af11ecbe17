"""`legato init` (a project that runs, never overwriting) and `legato demo` (a real process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from legato.authoring.loader import load_file
from legato.cli.main import app
from legato.config import Settings
from legato.services import queries


def test_init_creates_a_project_whose_example_dag_runs(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    done = CliRunner().invoke(app, ["init", str(root)])
    assert done.exit_code == 0, done.output
    assert ".legato/" in (root / ".gitignore").read_text().splitlines()
    assert "legato run dags/example.py" in (root / "README.md").read_text()
    loaded = load_file(root / "dags" / "example.py")
    assert not loaded.errors and loaded.dags[0].schedule is not None
    result = loaded.dags[0].run(executor="inline")
    assert result.state == "success" and result["transform"].result == 8


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "README.md").write_text("mine")
    done = CliRunner().invoke(app, ["init", str(root)])
    assert done.exit_code == 2
    assert "refusing to overwrite" in done.stderr and "README.md" in done.stderr
    assert (root / "README.md").read_text() == "mine"
    assert not (root / "dags").exists() and not (root / ".gitignore").exists()


def test_init_on_a_file_is_bad_input(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    assert CliRunner().invoke(app, ["init", str(target)]).exit_code == 2


def test_demo_runs_the_pipeline_and_reports_what_happened(tmp_path: Path) -> None:
    """In a real process, with the user's store and sinks in the environment: the demo keeps
    to its own folder."""
    users_db = tmp_path / "users-store.db"
    env = {**os.environ, "LEGATO_DATABASE_URL": f"sqlite:///{users_db}",
           "LEGATO_INCIDENTS": "http://127.0.0.1:9/never-called"}
    home = tmp_path / "demo-home"
    done = subprocess.run([sys.executable, "-m", "legato.cli.main", "demo", "--json",
                           "--home", str(home)], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    tasks = report["tasks"]
    assert report["state"] == "failed"
    assert tasks["extract"] == {"state": "success", "tries": 2, "error": None}
    assert tasks["validate_orders"]["state"] == "success" and tasks["load"]["state"] == "success"
    assert tasks["revenue_report"]["state"] == "failed"
    assert len(report["dead_letters"]) == 3
    assert {i["task_id"]: i["state"] for i in report["incidents"]} == {"revenue_report": "open"}
    assert "token ***" in report["masked_log_line"]
    demo_store = Settings(home=home, database_url=f"sqlite:///{home / 'legato.db'}",
                          dags_folder=home / "dags")
    assert "demo-crm-token" not in queries.read_log(demo_store, report["run_id"], "extract",
                                                    1).text
    assert (home / "legato.db").exists() and not users_db.exists()


def test_demo_human_output_names_the_next_commands(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "legato.cli.main", "demo", "--home",
                           str(tmp_path / "h")], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "200"}, timeout=120)
    assert done.returncode == 0, done.stderr
    for expected in ("dead letters (3)", "incidents (1)", "legato dlq list",
                     "legato incidents list", f"export LEGATO_HOME={tmp_path / 'h'}"):
        assert expected in done.stdout
