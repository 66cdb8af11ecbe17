"""`legato scheduler` as a process with its event listener: a file dropped into a folder and a
message published with `legato events publish` each start one run; `legato events list`
shows them; SIGTERM stops the listener and the scheduler cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from legato.config import load_settings
from legato.services import events as event_service
from legato.services import queries
from waiting import eventually

pytestmark = pytest.mark.e2e


def _events(cli: list[str], env: dict[str, str]) -> list[dict]:
    out = subprocess.run([*cli, "events", "list", "--json"], env=env, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout)


def _consumed(n: int) -> list[dict] | None:
    """The events that started runs, once there are `n` of them."""
    found = [e.to_json() for e in event_service.list_events(load_settings()) if e.run_id]
    return found if len(found) >= n else None


def test_a_dropped_file_and_a_published_message_each_start_one_run(tmp_path: Path,
                                                                   legato_home: Path) -> None:
    dags, inbox = tmp_path / "dags", tmp_path / "inbox"
    dags.mkdir()
    inbox.mkdir()
    (dags / "drop.py").write_text(
        "from legato import DAG, events, task\n"
        f"with DAG('drop', schedule=events.FileArrival({str(inbox / '*.csv')!r},\n"
        "                                            poll_interval=0.2)) as drop:\n"
        "    @task\n"
        "    def size(ctx):\n"
        "        return ctx.event['size']\n"
        "    size()\n"
        "with DAG('orders', schedule=events.Queue('orders', poll_interval=0.2)) as orders:\n"
        "    @task\n"
        "    def order(ctx):\n"
        "        return ctx.event['n']\n"
        "    order()\n")
    env = {**os.environ, "LEGATO_HOME": str(legato_home), "LEGATO_DAGS": str(dags)}
    cli = [sys.executable, "-m", "legato.cli.main"]
    proc = subprocess.Popen([*cli, "scheduler"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        (inbox / "po-1.csv").write_text("a,b\n1,2\n")
        published = subprocess.run([*cli, "events", "publish", "orders", "--data", '{"n": 7}',
                                    "--json"], env=env, capture_output=True, text=True, check=True)
        assert json.loads(published.stdout)["queue"] == "embedded"

        done = eventually(lambda: _consumed(2), 60, alive=proc, what="two event runs",
                          interval_s=0.2)
        by_dag = {e["dag_id"]: e for e in done}
        assert by_dag["drop"]["key"] == str(inbox / "po-1.csv")
        assert by_dag["orders"]["payload"] == {"n": 7}
        for dag_id, expected in (("drop", 8), ("orders", 7)):
            run_id = by_dag[dag_id]["run_id"]

            def finished(run_id: str = run_id) -> object:
                run = queries.show_run(load_settings(), run_id)
                return run if run.state in ("success", "failed") else None

            run = eventually(finished, 60, what=f"run {run_id}", interval_s=0.2)
            assert run.state == "success"
            assert next(iter(run.tasks.values())).result == expected
        # Later polls of the folder and the queue: a second file and a second message each
        # start a run, and the first file and message were not delivered again meanwhile.
        (inbox / "po-2.csv").write_text("a\n")
        subprocess.run([*cli, "events", "publish", "orders", "--data", '{"n": 8}'], env=env,
                       capture_output=True, text=True, check=True)
        eventually(lambda: _consumed(4), 60, alive=proc, what="the later file and message",
                   interval_s=0.2)
        listed = _events(cli, env)
        assert sorted((e["dag_id"], e["key"] if e["dag_id"] == "drop" else e["payload"]["n"])
                      for e in listed) == [("drop", str(inbox / "po-1.csv")),
                                           ("drop", str(inbox / "po-2.csv")),
                                           ("orders", 7), ("orders", 8)]
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    bad = subprocess.run([*cli, "events", "publish", "orders", "--data", "{nope"], env=env,
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "not valid JSON" in bad.stderr
