"""A task marked success while its run is being driven (the driver applies the request) is
reported to OpenLineage as nothing, as when nobody drives the run: no try of it ran."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from legato import DAG, task
from legato.config import load_settings
from legato.services import run_ops
from waiting import eventually


def test_a_mark_applied_by_the_driver_emits_no_openlineage_event(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_OPENLINEAGE", f"file:{tmp_path / 'ol.jsonl'}")
    release = tmp_path / "release"
    started = threading.Event()
    ran: list[str] = []

    with DAG("mark_driven", start_date="2024-01-01") as dag:
        @task
        def gate() -> int:
            started.set()
            eventually(release.exists, timeout_s=30, what="the test to release the gate")
            return 1

        @task
        def later(x: int) -> int:
            ran.append("later")
            return x

        later(gate())

    results: dict[str, Any] = {}
    runner = threading.Thread(target=lambda: results.setdefault("run", dag.run()))
    runner.start()
    try:
        assert started.wait(30)
        (run,) = [r for r in _runs() if r.dag_id == "mark_driven"]
        outcome = run_ops.mark(load_settings(), run.run_id, ["later"], "success")
        assert outcome.applied
    finally:
        release.touch()
        runner.join(60)
    result = results["run"]
    assert result.state == "success" and result["later"].state == "success"
    assert ran == []
    # The emitter sends in order from a thread of its own: once gate's COMPLETE (sent after
    # the mark was applied) is in the file, anything sent for `later` would be there too.
    jobs = eventually(lambda: _jobs(tmp_path / "ol.jsonl"), timeout_s=30,
                      what="gate's COMPLETE in the OpenLineage file")
    assert [j for j in jobs if j[0] == "later"] == []


def _jobs(path: Path) -> list[tuple[str, str]]:
    """The (task, eventType) pairs sent so far, once gate's COMPLETE is among them."""
    if not path.exists():
        return []
    events = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    jobs = [(e["job"]["name"].split(".")[-1], e["eventType"]) for e in events
            if "." in e["job"]["name"]]
    return jobs if ("gate", "COMPLETE") in jobs else []


def _runs() -> list[Any]:
    from legato.services import queries

    return queries.list_runs(load_settings())
