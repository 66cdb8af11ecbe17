"""`legato incidents list|show|figures [--json]` as a user runs it, and the /api/v1 incident
routes through a real uvicorn server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .helpers import Driver

uvicorn = pytest.importorskip("uvicorn")


def legato(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LEGATO_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "legato.cli.main", *args], capture_output=True,
                          text=True, env=env, timeout=120)


@pytest.fixture
def two_incidents() -> Driver:
    drv = Driver([])
    drv.task("failed", task_id="extract", run_id="r1", error_type="TimeoutError", error="slow")
    drv.task("failed", task_id="load", run_id="r1")
    drv.task("success", task_id="load", run_id="r2")
    return drv


def test_cli_list_and_show_json(two_incidents: Driver, legato_home: Path) -> None:
    done = legato("incidents", "list", "--json", home=legato_home)
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert [(i["task_id"], i["state"]) for i in listed] == [("load", "resolved"),
                                                           ("extract", "open")]
    only_open = json.loads(legato("incidents", "list", "--state", "open", "--json",
                                  home=legato_home).stdout)
    assert [i["task_id"] for i in only_open] == ["extract"]
    shown = legato("incidents", "show", str(listed[0]["id"]), "--json", home=legato_home)
    doc = json.loads(shown.stdout)
    assert doc["kind"] == "task_failure" and doc["resolved_at"] is not None
    assert [e["reason"] for e in doc["events"]] == ["opened", "resolved"]
    figures = json.loads(legato("incidents", "figures", "--json", home=legato_home).stdout)
    assert figures["open"] == 1 and {d["dag_id"] for d in figures["dags"]} == {"sales"}


def test_cli_human_output_and_errors(two_incidents: Driver, legato_home: Path) -> None:
    human = legato("incidents", "list", home=legato_home)
    assert human.returncode == 0 and "extract" in human.stdout and "TimeoutError" in human.stdout
    shown = legato("incidents", "show", "1", home=legato_home)
    assert shown.returncode == 0 and "history" in shown.stdout and "slow" in shown.stdout
    missing = legato("incidents", "show", "999", home=legato_home)
    assert missing.returncode == 2 and "no incident 999" in missing.stderr
    bad = legato("incidents", "list", "--state", "closed", home=legato_home)
    assert bad.returncode == 2 and "state must be one of" in bad.stderr


@pytest.fixture
def api(two_incidents: Driver, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    from legato.server.app import PREFIX
    from server_harness import serving

    with serving(tmp_path) as start:
        live = start()
        yield live.base + PREFIX, {"Authorization": f"Bearer {live.tokens['viewer']}"}


def test_api_routes(api: tuple[str, dict[str, str]]) -> None:
    base, auth = api
    with httpx.Client(base_url=base, headers=auth, timeout=30) as c:
        listed = c.get("/incidents").json()
        assert [i["task_id"] for i in listed] == ["load", "extract"]
        assert [i["task_id"] for i in c.get("/incidents", params={"state": "open"}).json()] == [
            "extract"]
        assert c.get("/incidents", params={"dag_id": "nope"}).json() == []
        assert c.get("/incidents", params={"state": "closed"}).status_code == 422
        one = c.get(f"/incidents/{listed[1]['id']}").json()
        assert one["error"] == "slow" and one["events"][0]["event"] == "incident.opened"
        assert c.get("/incidents/999").status_code == 404
        figures = c.get("/incidents/figures").json()
        assert figures["open"] == 1 and figures["dags"][0]["resolved"] == 1
    assert httpx.get(base + "/incidents", timeout=30).status_code == 401


def test_resolving_by_hand_from_the_cli(two_incidents: Driver, legato_home: Path) -> None:
    """An operator closes an incident nobody's success will close (issue 10 item 26)."""
    open_id = next(i["id"] for i in json.loads(legato("incidents", "list", "--json",
                                                        home=legato_home).stdout)
                   if i["state"] == "open")
    done = legato("incidents", "resolve", str(open_id), "--note", "fixed upstream", "--json",
                  home=legato_home)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    last = doc["events"][-1]
    assert doc["state"] == "resolved" and last["reason"] == "resolved"
    assert "fixed upstream" in (last["error"] or "")
    again = legato("incidents", "resolve", str(open_id), home=legato_home)
    assert again.returncode == 2 and "not open" in again.stderr
    assert legato("incidents", "resolve", "999", home=legato_home).returncode == 2


def test_resolving_by_hand_over_the_api(two_incidents: Driver, tmp_path: Path) -> None:
    from legato.server.app import PREFIX
    from server_harness import serving

    with serving(tmp_path) as start:
        live = start()
        base = live.base + PREFIX
        viewer = {"Authorization": f"Bearer {live.tokens['viewer']}"}
        operator = {"Authorization": f"Bearer {live.tokens['operator']}"}
        with httpx.Client(base_url=base, timeout=30) as c:
            open_id = c.get("/incidents", params={"state": "open"}, headers=viewer).json()[0]["id"]
            assert c.post(f"/incidents/{open_id}/resolve", headers=viewer).status_code == 403
            done = c.post(f"/incidents/{open_id}/resolve", json={"note": "known"},
                          headers=operator)
            assert done.status_code == 200 and done.json()["state"] == "resolved"
            assert c.post(f"/incidents/{open_id}/resolve", headers=operator).status_code == 409
            assert c.post("/incidents/999/resolve", headers=operator).status_code == 404
