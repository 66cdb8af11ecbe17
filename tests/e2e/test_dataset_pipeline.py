"""Lineage and event triggers together, through a real `legato scheduler` process.

A producer DAG writes a dataset (an outlet); a consumer DAG is scheduled on that dataset. The
producer's success must record a dataset update in its own commit (lineage), the scheduler
must turn that update into exactly one consumer run whose `ctx.event` names the producer's
run (events), and the catalog must know who produces and who consumes the dataset.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from legato.config import load_settings
from legato.services import operate
from process_support import log_tail
from waiting import eventually

pytestmark = pytest.mark.e2e
URI = "file:///warehouse/sales/daily.parquet"


def _runs(db: Path, dag_id: str) -> list[tuple[str, str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("select run_id, state, run_type from dag_runs where dag_id = ? "
                            "order by run_id", (dag_id,)).fetchall()


def _write_dags(folder: Path, seen: Path) -> None:
    (folder / "producer.py").write_text(textwrap.dedent(f"""
        from legato import DAG, Dataset, task
        with DAG("producer") as dag:
            @task(outlets=[Dataset({URI!r}, owner="sales-team", domain="sales")])
            def publish():
                return 42
            publish()
    """))
    (folder / "consumer.py").write_text(textwrap.dedent(f"""
        import json
        from legato import DAG, Dataset, task
        with DAG("consumer", schedule=[Dataset({URI!r})]) as dag:
            @task(inlets=[Dataset({URI!r})])
            def report(ctx):
                with open({str(seen)!r}, "a") as f:
                    f.write(json.dumps(ctx.event) + "\\n")
            report()
    """))
    (folder / "later.py").write_text(textwrap.dedent("""
        from legato import DAG, task
        with DAG("later") as dag:
            @task
            def nothing():
                return None
            nothing()
    """))


def test_a_producer_success_triggers_one_consumer_run_and_the_catalog_knows_both(
        tmp_path: Path, legato_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dags, seen = tmp_path / "dags", tmp_path / "seen.jsonl"
    dags.mkdir()
    _write_dags(dags, seen)
    monkeypatch.setenv("LEGATO_DAGS", str(dags))
    produced = operate.trigger(load_settings(), "producer", None).run_id
    env = {**os.environ, "LEGATO_HOME": str(legato_home), "LEGATO_DAGS": str(dags)}
    log = tmp_path / "scheduler.log"
    proc = subprocess.Popen([sys.executable, "-m", "legato.cli.main", "scheduler"], env=env,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)
    db = legato_home / "legato.db"
    try:
        finished = ("success", "failed")
        eventually(lambda: (_runs(db, "consumer") or [("", "", "")])[0][1] in finished, 60,
                   alive=proc, what="the consumer run to finish", explain=log_tail(log))
        # More scheduler passes, each creating the runs that dataset updates call for before
        # it starts queued ones: a run queued after the consumer finished has been started and
        # finished. No second consumer run may have appeared meanwhile.
        later = operate.trigger(load_settings(), "later", None).run_id
        eventually(lambda: _runs(db, "later") == [(later, "success", "manual")], 60,
                   alive=proc, what="a later run to finish", explain=log_tail(log))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert [r[1] for r in _runs(db, "producer")] == ["success"], log.read_text()[-3000:]
    consumer = _runs(db, "consumer")
    assert len(consumer) == 1 and consumer[0][1] == "success", (consumer, log.read_text()[-3000:])
    events = [json.loads(line) for line in seen.read_text().splitlines()]
    assert len(events) == 1
    assert [(e["uri"], e["dag_id"], e["task_id"], e["run_id"]) for e in events[0]] == [
        (URI, "producer", "publish", produced)]

    shown = subprocess.run([sys.executable, "-m", "legato.cli.main", "datasets", "show", URI,
                            "--json"], env=env, capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    entry = json.loads(text)
    assert entry["owner"] == "sales-team" and entry["domain"] == "sales"
    assert "producer" in json.dumps(entry.get("producers")) and \
        "consumer" in json.dumps(entry.get("consumers"))
