"""Broken DAG files of every kind never take down the scheduler, the CLI or the server
(issue 10 items 2-4): a file that raises, calls sys.exit() or os._exit(), loops or sleeps at
import, or shares a dag_id with another file is an import error naming the file; the other
DAGs go on. Before: sys.exit killed `dags list`/`dags trigger` (exit 3, no message) and the
scheduler; a hanging import hung all of them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from legato.config import load_settings
from legato.engine.dagprocessor import DagProcessor
from legato.security import create_token
from process_support import free_port
from waiting import answers, eventually

pytestmark = pytest.mark.e2e
CLI = [sys.executable, "-m", "legato.cli.main"]
TIMEOUT_S = 3
GOOD = """
    from legato import DAG, task
    with DAG("good", schedule=None) as dag:
        @task
        def ok():
            return 1
        ok()
"""
BROKEN = {
    "raises.py": "raise RuntimeError('boom at import')\n",
    "exits.py": "import sys\nsys.exit(3)\n",
    "hard_exit.py": "import os\nos._exit(4)\n",
    "loops.py": "while True:\n    pass\n",
    "sleeps.py": "import time\ntime.sleep(40)\n",
    "dup_a.py": "from legato import DAG\nwith DAG('twice') as dag:\n    pass\n",
    "dup_b.py": "from legato import DAG\nwith DAG('twice') as dag:\n    pass\n",
}
QUICK = {"raises.py", "exits.py", "hard_exit.py", "dup_a.py", "dup_b.py"}


@pytest.fixture()
def dags(tmp_path: Path) -> Path:
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "good.py").write_text(textwrap.dedent(GOOD))
    for name, text in BROKEN.items():
        (folder / name).write_text(text)
    return folder


@pytest.fixture()
def env(dags: Path, legato_home: Path) -> dict[str, str]:
    return {**os.environ, "LEGATO_HOME": str(legato_home), "LEGATO_DAGS": str(dags),
            "LEGATO_DAG_IMPORT_TIMEOUT_S": str(TIMEOUT_S)}


def _errors_by_file(errors: list[dict]) -> dict[str, str]:
    return {Path(e["file"]).name: e["error"] for e in errors}


def test_the_dag_processor_reports_each_broken_file_and_keeps_the_good(dags: Path) -> None:
    processor = DagProcessor(dags, timeout_s=TIMEOUT_S)
    started = time.monotonic()
    processor.refresh()
    took = time.monotonic() - started
    result = processor.result()
    assert [d.dag_id for d in result.dags] == ["good"]
    errors = {Path(e.file).name: e.message for e in result.errors}
    assert "boom at import" in errors["raises.py"]
    assert "sys.exit(3)" in errors["exits.py"]
    assert "exit code 4" in errors["hard_exit.py"]
    assert "longer than 3s" in errors["loops.py"] and "longer than 3s" in errors["sleeps.py"]
    assert "also defined in" in errors["dup_a.py"] and "dup_b.py" in errors["dup_a.py"]
    assert "dup_a.py" in errors["dup_b.py"]
    assert took < TIMEOUT_S + 5                      # the hanging files were parsed side by side


def test_a_file_that_stops_parsing_keeps_its_last_good_dags(dags: Path) -> None:
    for name in BROKEN:
        (dags / name).unlink()
    processor = DagProcessor(dags, timeout_s=TIMEOUT_S)
    processor.refresh()
    (dags / "good.py").write_text(textwrap.dedent(GOOD) + "\nimport sys\nsys.exit(1)\n")
    processor.refresh()
    result = processor.result()
    assert [d.dag_id for d in result.dags] == ["good"]          # the last good parse
    assert [Path(e.file).name for e in result.errors] == ["good.py"]


def test_dags_list_and_trigger_survive_every_broken_file(env: dict[str, str]) -> None:
    listed = subprocess.run([*CLI, "dags", "list", "--json"], env=env, capture_output=True,
                            text=True, timeout=TIMEOUT_S + 30)
    assert listed.returncode == 0, listed.stderr
    doc = json.loads(listed.stdout)
    assert [d["dag_id"] for d in doc["dags"]] == ["good"]
    errors = _errors_by_file(doc["errors"])
    assert set(errors) == set(BROKEN)
    trigger = subprocess.run([*CLI, "dags", "trigger", "good", "--json"], env=env,
                             capture_output=True, text=True, timeout=TIMEOUT_S + 30)
    assert trigger.returncode == 0, trigger.stderr
    assert json.loads(trigger.stdout)["dag_id"] == "good"
    missing = subprocess.run([*CLI, "dags", "trigger", "twice"], env=env, capture_output=True,
                             text=True, timeout=TIMEOUT_S + 30)
    assert missing.returncode == 2
    assert "no DAG 'twice'" in missing.stderr and "dup_a.py" in missing.stderr


@pytest.mark.parametrize("name, expected", [("exits.py", "sys.exit(3)"),
                                            ("loops.py", "longer than 3s"),
                                            ("raises.py", "boom at import")])
def test_legato_run_of_a_broken_file_is_a_one_line_error(dags: Path, env: dict[str, str],
                                                         name: str, expected: str) -> None:
    done = subprocess.run([*CLI, "run", str(dags / name)], env=env, capture_output=True,
                          text=True, timeout=TIMEOUT_S + 30)
    assert done.returncode == 2
    assert expected in done.stderr and "Traceback" not in done.stderr


@pytest.fixture()
def scheduler(env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen([*CLI, "scheduler"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    yield proc
    if proc.poll() is None:
        proc.kill()
        proc.communicate(timeout=10)


def test_the_scheduler_runs_good_dags_beside_broken_files_and_stops_on_sigterm(
        env: dict[str, str], legato_home: Path, scheduler: subprocess.Popen[str]) -> None:
    queued = subprocess.run([*CLI, "dags", "trigger", "good", "--json"], env=env,
                            capture_output=True, text=True, timeout=TIMEOUT_S + 30, check=True)
    run_id = json.loads(queued.stdout)["run_id"]

    def state() -> str | None:
        shown = subprocess.run([*CLI, "runs", "show", run_id, "--json"], env=env,
                               capture_output=True, text=True, timeout=30)
        return json.loads(shown.stdout)["state"] if shown.returncode == 0 else None

    try:
        eventually(lambda: state() == "success", TIMEOUT_S + 30, alive=scheduler,
                   what="the good DAG's run to succeed", interval_s=0.2)
    except AssertionError as exc:                  # with what the scheduler printed
        if scheduler.poll() is None:
            scheduler.send_signal(signal.SIGTERM)
        raise AssertionError(f"{exc}\n{scheduler.communicate(timeout=20)[0]}") from None
    scheduler.send_signal(signal.SIGTERM)
    out, _ = scheduler.communicate(timeout=20)
    assert scheduler.returncode == 0, out
    assert "exits.py" in out and "loops.py" in out             # logged as import errors


def test_the_api_server_answers_beside_every_broken_file(env: dict[str, str], tmp_path: Path) -> None:
    """Before: a file calling sys.exit() ended `legato server` at its first request, and 45
    requests waiting on a hanging import took every worker thread, then /health timed out."""
    token = create_token(load_settings(), "viewer", "faults")[0]
    port = free_port()
    base = f"http://127.0.0.1:{port}/api/v1"
    log = tmp_path / "server.log"
    proc = subprocess.Popen([*CLI, "server", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=log.open("wb"))

    def listed() -> tuple[int, tuple[str, ...], frozenset[str]]:
        got = httpx.get(f"{base}/dags", headers={"Authorization": f"Bearer {token}"},
                        timeout=TIMEOUT_S + 30)
        doc = got.json()
        return (got.status_code, tuple(d["dag_id"] for d in doc.get("dags", [])),
                frozenset(_errors_by_file(doc.get("errors", []))))

    try:
        eventually(lambda: answers(f"{base}/health"), 30, alive=proc,
                   what="legato server to answer")
        with ThreadPoolExecutor(45) as pool:             # all while the hanging files parse
            answered = list(pool.map(lambda _: listed(), range(45)))
        assert answers(f"{base}/health", timeout_s=TIMEOUT_S + 30)
        assert {(code, dags) for code, dags, _ in answered} == {(200, ("good",))}
        # the quick failures are in every answer, a hanging file's once it has timed out
        assert all(QUICK <= errors <= set(BROKEN) for *_, errors in answered)
        eventually(lambda: listed()[2] == set(BROKEN), 60, alive=proc,
                   what="every broken file reported")
        assert proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert "Traceback" not in log.read_text()
