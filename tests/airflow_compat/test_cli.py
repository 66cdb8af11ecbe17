"""`legato airflow check DIR` and `legato dags test DAG_ID DATE`, as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

GOOD = """
from datetime import datetime
from airflow.sdk import DAG, task

with DAG("good", schedule=None, start_date=datetime(2024, 1, 1)):
    @task
    def hello():
        return 1
    hello()
"""
OLD = """
from datetime import datetime
from airflow import DAG
from airflow.operators.dummy import DummyOperator

with DAG("old", schedule_interval="@daily", start_date=datetime(2024, 1, 1),
         default_args={"email_on_failure": True, "retires": 2}):
    DummyOperator(task_id="noop")
"""
CLOUD = """
from airflow.providers.snowflake.operators.snowflake import SnowflakeOperator
"""


def legato(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    cli = Path(sys.executable).with_name("legato")
    cmd = [str(cli)] if cli.exists() else [sys.executable, "-m", "legato.cli.main"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def folder(tmp_path):
    dags = tmp_path / "dags"
    dags.mkdir()
    for name, text in (("good.py", GOOD), ("old.py", OLD), ("cloud.py", CLOUD)):
        (dags / name).write_text(textwrap.dedent(text))
    (dags / "native.py").write_text("from legato import DAG\nDAG('native')\n")
    return dags


@pytest.fixture
def env(tmp_path):
    return {**os.environ, "LEGATO_HOME": str(tmp_path / "home"), "COLUMNS": "200"}


def test_check_reports_each_airflow_file(folder, env):
    done = legato("airflow", "check", str(folder), env=env)
    assert done.returncode == 1, done.stderr
    out = done.stdout
    assert "runs unchanged" in out and "good.py" in out
    assert "SnowflakeOperator (airflow.providers.snowflake.operators.snowflake) does not run on " \
           "Legato: use legato.tasks.SqlTask" in out
    assert "schedule_interval is deprecated" in out
    assert "default_args email_on_failure=True has no effect" in out
    assert "default_args key 'retires' is not an operator argument" in out
    assert "native.py" not in out
    assert "1 of 3 Airflow DAG files run unchanged" in out


def test_check_json_and_a_clean_folder_exits_0(folder, env):
    (folder / "old.py").unlink()
    (folder / "cloud.py").unlink()
    done = legato("airflow", "check", str(folder), "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [{"file": str(folder / "good.py"), "dags": ["good"],
                                        "runs_unchanged": True, "errors": [], "changes": []}]


def test_check_a_missing_folder_is_a_usage_error(tmp_path, env):
    done = legato("airflow", "check", str(tmp_path / "nope"), env=env)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"error: {tmp_path / 'nope'} is not a folder"]


def test_dags_test_runs_the_dag_like_legato_run(folder, env):
    env = {**env, "LEGATO_DAGS": str(folder)}
    done = legato("dags", "test", "good", "2024-01-03", "--json", env=env)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["state"] == "success" and doc["logical_date"].startswith("2024-01-03")
    missing = legato("dags", "test", "nope", env=env)
    assert missing.returncode == 2 and "no DAG 'nope'" in missing.stderr
