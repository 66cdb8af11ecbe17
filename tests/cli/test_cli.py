"""The `legato` command as a user runs it: real subprocesses, real files, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def legato(*args: str, home: Path, cwd: Path | None = None,
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "LEGATO_HOME": str(home), **(env or {})}
    return subprocess.run([sys.executable, "-m", "legato.cli.main", *args], capture_output=True,
                          text=True, env=full_env, cwd=cwd, timeout=120)


def test_run_json_is_one_object_with_the_documented_shape(legato_home: Path) -> None:
    done = legato("run", str(EXAMPLES / "hello.py"), "--json", "--date", "2024-02-03",
                  home=legato_home)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)                   # exactly one JSON document
    assert set(doc) == {"dag_id", "run_id", "logical_date", "state", "note", "callback_error",
                        "tasks"}
    assert doc["state"] == "success" and doc["logical_date"].startswith("2024-02-03")
    assert set(doc["tasks"]) == {"hello", "world"}
    assert set(doc["tasks"]["world"]) == {"state", "tries", "start", "end", "error",
                                          "callback_error"}
    assert "hello, world" in done.stderr            # task prints kept off stdout


def test_financial_reporting_example_states(legato_home: Path) -> None:
    path = str(EXAMPLES / "complex_financial_reporting.py")
    done = legato("run", path, "--json", home=legato_home)
    tasks = json.loads(done.stdout)["tasks"]
    assert done.returncode == 0
    assert tasks["extract_crm"]["tries"] == 3 and tasks["extract_crm"]["state"] == "success"
    assert tasks["load_to_dw"]["state"] == "success"
    skipped = legato("run", path, "--json", "--param", "po_empty=true", home=legato_home)
    tasks = json.loads(skipped.stdout)["tasks"]
    assert tasks["transform_financial_data"]["state"] == "skipped"
    assert tasks["load_to_dw"]["state"] == "skipped"
    assert tasks["end"]["state"] == "success"


def test_failed_run_exits_1_and_logs_are_readable(legato_home: Path, tmp_path: Path) -> None:
    dag_file = tmp_path / "failing.py"
    dag_file.write_text(
        "from legato import DAG, task\n"
        "with DAG('failing') as dag:\n"
        "    @task\n"
        "    def bad():\n"
        "        print('about to fail')\n"
        "        raise RuntimeError('kaput')\n"
        "    bad()\n")
    done = legato("run", str(dag_file), "--json", home=legato_home)
    assert done.returncode == 1
    doc = json.loads(done.stdout)
    assert doc["tasks"]["bad"]["error"] == "kaput"
    shown = legato("runs", "show", doc["run_id"], "--json", home=legato_home)
    assert json.loads(shown.stdout)["state"] == "failed"
    log = legato("logs", doc["run_id"], "bad", home=legato_home)
    assert log.returncode == 0 and "about to fail" in log.stdout and "kaput" in log.stdout
    missing = legato("logs", doc["run_id"], "bad", "--try", "7", home=legato_home)
    assert missing.returncode == 2 and "tries 1..1" in missing.stderr
    listed = json.loads(legato("runs", "list", "--json", home=legato_home).stdout)
    assert [r["run_id"] for r in listed] == [doc["run_id"]]


@pytest.mark.parametrize("args,needle", [
    (["run", "/no/such/file.py"], "no such file"),
    (["run", "EXAMPLE", "--dag", "nope"], "no DAG 'nope'"),
    (["run", "EXAMPLE", "--date", "yesterday"], "not an ISO date"),
    (["run", "EXAMPLE", "--param", "novalue"], "key=value"),
    (["runs", "show", "manual__nothing"], "no run"),
])
def test_usage_errors_exit_2_with_a_message(legato_home: Path, args: list[str],
                                            needle: str) -> None:
    args = [str(EXAMPLES / "hello.py") if a == "EXAMPLE" else a for a in args]
    done = legato(*args, home=legato_home)
    assert done.returncode == 2
    assert needle in done.stderr


def test_broken_dag_file_is_reported_with_line_and_others_load(legato_home: Path,
                                                               tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "good.py").write_text(
        "from legato import DAG\nfrom legato.tasks import EmptyTask\n"
        "with DAG('good') as dag:\n    EmptyTask('t')\n")
    (dags / "broken.py").write_text("from legato import DAG\n\nx = 1\nraise ImportError('missing dep')\n")
    (dags / "syntax.py").write_text("def oops(:\n")
    done = legato("dags", "list", "--json", home=legato_home, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert [d["dag_id"] for d in doc["dags"]] == ["good"]
    errors = {Path(e["file"]).name: e for e in doc["errors"]}
    assert errors["broken.py"]["line"] == 4 and "missing dep" in errors["broken.py"]["error"]
    assert errors["syntax.py"]["line"] == 1 and "SyntaxError" in errors["syntax.py"]["error"]
    run_broken = legato("run", str(dags / "broken.py"), home=legato_home)
    assert run_broken.returncode == 2 and "broken.py:4" in run_broken.stderr


def test_human_output_has_a_summary_table(legato_home: Path) -> None:
    done = legato("run", str(EXAMPLES / "hello.py"), home=legato_home)
    assert done.returncode == 0
    assert "world" in done.stdout and "success" in done.stdout
