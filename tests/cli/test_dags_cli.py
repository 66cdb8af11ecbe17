"""`legato dags show|trigger|pause|unpause` against a DAGs folder, on both stores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from legato.cli.main import app

DAG_FILE = '''
from legato import DAG, task
from legato.tasks import EmptyTask

with DAG("nightly", schedule="@daily", start_date="2024-01-01", catchup=False,
         default_args={"retries": 2}) as dag:
    @task
    def extract():
        return 1

    @task
    def load(x):
        return x

    end = EmptyTask("end", trigger_rule="all_done")
    load(extract()) >> end
'''


@pytest.fixture(autouse=True)
def dags_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "nightly.py").write_text(DAG_FILE)
    monkeypatch.setenv("LEGATO_DAGS", str(folder))
    return folder


def cli(*args: str) -> object:
    return CliRunner().invoke(app, list(args))


def _show() -> dict:
    done = cli("dags", "show", "nightly", "--json")
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)


def test_show_lists_schedule_tasks_and_upstreams(backend: str) -> None:
    doc = _show()
    assert (doc["dag_id"], doc["schedule"], doc["is_paused"]) == ("nightly", "@daily", False)
    assert doc["next_run"] is not None and doc["last_runs"] == []
    tasks = {t["task_id"]: t for t in doc["tasks"]}
    assert [t["task_id"] for t in doc["tasks"]] == ["extract", "load", "end"]
    assert tasks["load"]["upstream"] == ["extract"] and tasks["end"]["upstream"] == ["load"]
    assert tasks["end"]["trigger_rule"] == "all_done" and tasks["extract"]["retries"] == 2
    human = cli("dags", "show", "nightly")
    assert human.exit_code == 0 and "extract" in human.stdout and "@daily" in human.stdout


def test_trigger_prints_the_run_id_and_show_lists_it(backend: str) -> None:
    done = cli("dags", "trigger", "nightly", "--date", "2024-03-01", "--param", "k=3", "--json")
    assert done.exit_code == 0, done.output
    run = json.loads(done.stdout)
    assert run["dag_id"] == "nightly" and run["logical_date"].startswith("2024-03-01")
    assert [r["run_id"] for r in _show()["last_runs"]] == [run["run_id"]]
    human = cli("dags", "trigger", "nightly")
    assert human.exit_code == 0 and "manual__" in human.stdout


def test_pause_and_unpause_show_in_show(backend: str) -> None:
    assert cli("dags", "pause", "nightly").exit_code == 0
    doc = _show()
    assert doc["is_paused"] is True and doc["next_run"] is None
    assert cli("dags", "unpause", "nightly").exit_code == 0
    assert _show()["is_paused"] is False


@pytest.mark.parametrize("command", ["show", "trigger", "pause", "unpause"])
def test_an_unknown_dag_exits_2_naming_the_known_ones(command: str) -> None:
    done = cli("dags", command, "nope")
    assert done.exit_code == 2
    assert "no DAG 'nope'" in done.stderr and "nightly" in done.stderr


@pytest.mark.parametrize("args", [["--date", "not-a-date"], ["--param", "novalue"]])
def test_trigger_with_bad_input_exits_2(args: list[str]) -> None:
    done = cli("dags", "trigger", "nightly", *args)
    assert done.exit_code == 2 and done.stderr.startswith("error: ")


def test_list_reports_an_import_error_once(dags_folder: Path, legato_home: Path) -> None:
    import os
    import subprocess
    import sys

    (dags_folder / "broken.py").write_text("from legato import DAG\nraise RuntimeError('nope')\n")
    done = subprocess.run([sys.executable, "-m", "legato.cli.main", "dags", "list"],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "LEGATO_HOME": str(legato_home),
                               "LEGATO_DAGS": str(dags_folder)})
    assert done.returncode == 0, done.stderr
    assert "nightly" in done.stdout
    assert (done.stdout + done.stderr).count("RuntimeError: nope") == 1
    assert "broken.py:2" in done.stdout


def test_a_scheduler_logs_each_import_error(dags_folder: Path, caplog: pytest.LogCaptureFixture,
                                            legato_home: Path) -> None:
    from legato.config import load_settings
    from legato.engine.executors.inline import InlineExecutor
    from legato.engine.scheduler import Scheduler

    (dags_folder / "broken.py").write_text("from legato import DAG\nraise RuntimeError('nope')\n")
    settings = load_settings()
    scheduler = Scheduler(settings, InlineExecutor())
    with caplog.at_level("ERROR", logger="legato.dagprocessor"):
        scheduler.processor.refresh()             # what its parse loop does
        scheduler.refresh_dags()
    assert [r.getMessage() for r in caplog.records
            if "broken.py:2" in r.getMessage()], caplog.text
    assert any(e.file.endswith("broken.py") for e in scheduler.errors)
