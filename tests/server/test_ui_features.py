"""The web UI's read models and helpers without a browser: why a task did not run, the trigger
form's validation, the layout, durations, path redaction, the live hub (diffs, one computation
per topic, the store-wide version on SQLite and PostgreSQL) and the pages' HTTP behaviour."""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

pytest.importorskip("fastapi")

from legato.services import ui_format, ui_graph, ui_live, ui_params, ui_render, ui_task, ui_time, ui_views
from legato.services.ui_views import DagSummary
from legato.store.tries import InstanceRow


def instance(state: str, tries: int = 0, error: str | None = None) -> InstanceRow:
    return InstanceRow("r", "t", -1, state, tries, None, None, None, error, None)


def test_explain_says_why_a_task_did_not_run() -> None:
    spec = {"b": {"is_branch": True}, "u": {}, "v": {}}
    task = {"trigger_rule": "all_success"}
    why = ui_task.explain
    assert why("upstream_failed", task, "failed", False, {"u": "failed", "v": "success"}, spec, {},
               instance("upstream_failed")) == (
        "Not run: upstream 'u' failed, and its trigger rule is all_success.")
    assert why("skipped", task, "success", False, {"b": "success"}, spec, {"b": ["x", "y"]},
               instance("skipped")) == "Skipped by branch 'b', which chose 'x', 'y'."
    assert why("skipped", task, "success", False, {"u": "skipped"}, spec, {}, instance("skipped")) == (
        "Skipped: upstream 'u' was skipped (trigger rule all_success).")
    assert why("skipped", task, "success", False, {}, spec, {}, instance("skipped", 1, "no data")) == (
        "Skipped itself while running: no data")
    assert "the DAG is paused" in why("scheduled", task, "queued", True, {}, spec, {}, instance("scheduled"))
    assert why("scheduled", task, "running", False, {"u": "running", "v": "success"}, spec, {},
               instance("scheduled")) == "Waiting for upstream 'u' to finish (trigger rule all_success)."
    assert why("success", task, "success", False, {}, spec, {}, instance("success", 1)) is None
    assert "no instance of this task" in why("none", task, "running", False, {}, spec, {}, None)
    removed = instance("removed")
    assert "no longer has this task" in why("removed", task, "running", False, {}, spec, {}, removed)


def test_trigger_form_fields_come_from_params_and_schemas() -> None:
    class Param:
        def __init__(self, default: object, **schema: object) -> None:
            self.value, self.schema, self.description = default, schema, "the region"

    dag = SimpleNamespace(params={"n": 3, "ratio": 0.5, "flag": False, "day": "2024-01-01", "cfg": {"a": 1},
                                  "name": "x", "region": "eu"},
                          param_schemas={"region": Param("eu", enum=["eu", "us"]),
                                         "size": Param(None, type=["integer", "null"], minimum=1)})
    kinds = {f.name: f.kind for f in ui_params.fields_of(dag)}
    assert kinds == {"n": "integer", "ratio": "number", "flag": "boolean", "day": "date", "cfg": "json",
                     "name": "string", "region": "enum", "size": "integer"}
    fields = ui_params.fields_of(dag)
    form = {"param.n": "7", "param.ratio": "2.5", "param.day": "2024-02-01", "param.cfg": '{"b": [1]}',
            "param.name": "y", "param.region": "us", "param.size": "", "param.flag": "true"}
    params, shown = ui_params.parse(fields, form)
    assert not [f.error for f in shown if f.error]
    assert params == {"n": 7, "ratio": 2.5, "flag": True, "day": "2024-02-01", "cfg": {"b": [1]}, "name": "y",
                      "region": "us", "size": None}
    _, shown = ui_params.parse(fields, {"param.n": "x", "param.ratio": "1,5", "param.day": "2024-02-30",
                                        "param.cfg": "{", "param.region": "mars", "param.size": "0"})
    errors = {f.name: f.error for f in shown if f.error}
    assert errors["n"] == "'x' is not a whole number" and errors["ratio"] == "'1,5' is not a number"
    assert "is not a date" in errors["day"] and errors["cfg"].startswith("not valid JSON")
    assert errors["region"] == "'mars' is not one of eu, us" and "less than the minimum" in errors["size"]
    assert {f.name: f.text for f in shown}["n"] == "x"                   # the form keeps what was typed


def test_durations_keep_their_sub_second_part_and_paths_are_redacted() -> None:
    assert [ui_format.duration(s) for s in (0.004, 0.05, 0.9, 12.34, 185, 7800, None)] == [
        "4.0 ms", "0.05 s", "0.90 s", "12.3 s", "3 min 5 s", "2 h 10 min", "—"]
    assert ui_format.redact_paths("no DAG 'x' in /srv/legato/dags (found: a); see /ui/dags") == (
        "no DAG 'x' in …/dags (found: a); see /ui/dags")
    tb = ('Traceback (most recent call last):\n'
          '  File "/srv/legato/src/legato/engine/runner.py", line 1, in run\n'
          '    x()\n  File "/srv/dags/etl.py", line 9, in load\n    raise ValueError("no")\nValueError: no')
    package = Path(ui_render.__file__).resolve().parents[1]
    tb = tb.replace("/srv/legato/src/legato", str(package))
    assert ui_render.tidy_traceback(tb, Path("/srv/dags")) == (
        'Traceback (most recent call last):\n  File "etl.py", line 9, in load\n    raise ValueError("no")\n'
        "ValueError: no")


def test_layout_routes_long_edges_around_tasks_and_reduces_crossings() -> None:
    order = ["a", "b", "c", "d", "x", "y"]
    upstream = {"a": (), "b": ("a",), "c": ("b",), "d": ("c", "a"), "x": (), "y": ("x", "a")}
    placed = ui_graph.layout(order, upstream)
    boxes = placed.boxes
    for t, (x, y) in boxes.items():                      # no two boxes overlap
        for u, (x2, y2) in boxes.items():
            if t < u and x == x2:
                assert abs(y - y2) >= ui_graph.NODE_H, (t, u)
    long_edge = next(points for u, t, points in placed.edges if (u, t) == ("a", "d"))
    assert len(long_edge) == 4                           # through a slot in each layer it crosses
    for px, py in long_edge[1:-1]:
        for t, (x, y) in boxes.items():
            inside = x <= px <= x + ui_graph.NODE_W and y <= py <= y + ui_graph.NODE_H
            assert not inside, f"the edge a->d runs through {t}"
    layers = [["a", "b"], ["c", "d"]]
    ups = {"c": ["b"], "d": ["a"]}
    assert ui_graph._total_crossings(ui_graph.order_layers(layers, ups), ups) == 0


def test_search_and_sort_dags() -> None:
    def dag(dag_id: str, tags: tuple[str, ...], schedule: str | None, paused: bool) -> DagSummary:
        return DagSummary(dag_id, f"{dag_id}.py", schedule, 3, tags, paused, None)

    dags = [dag("sales_daily", ("finance",), "@daily", False), dag("ingest", ("raw",), None, True),
            dag("sales_hourly", ("finance",), "@hourly", False)]
    ids = lambda found: [d.dag_id for d in found]  # noqa: E731
    assert ids(ui_views.search_dags(dags, "FINANCE hourly")) == ["sales_hourly"]
    assert ids(ui_views.search_dags(dags, None, "schedule")) == ["sales_daily", "sales_hourly", "ingest"]
    active = ui_views.search_dags(dags, "", "dag_id", desc=True, paused=False)
    assert ids(active) == ["sales_hourly", "sales_daily"]
    with pytest.raises(ValueError, match="sort must be one of"):
        ui_views.search_dags(dags, None, "colour")


def test_live_diff_sends_only_what_changed() -> None:
    from legato.server.ui.live import diff

    old = {"set": "a", "runs": {"r1": "running", "r2": "success"},
           "cells": {"r1": {"t": "running", "u": "queued"}}}
    new = {"set": "a", "runs": {"r1": "success", "r2": "success"},
           "cells": {"r1": {"t": "success", "u": "queued"}}}
    assert diff(old, new) == {"runs": {"r1": "success"}, "cells": {"r1": {"t": "success", "u": "queued"}}}
    assert diff(new, new) is None and diff(None, new) == new


def test_store_version_moves_with_commits_on_sqlite_and_postgresql(backend: str) -> None:
    from legato.config import load_settings
    from legato.store import dags as dag_store
    from legato.store.db import open_engine

    settings = load_settings()
    version = ui_live.StoreVersion(settings.database_url)
    try:
        first = version.current()
        assert first is not None and version.current() == first           # nothing committed: same
        from datetime import UTC, datetime

        with open_engine(settings.database_url).begin() as conn:
            dag_store.upsert_dag(conn, "x", "x.py", "{}", datetime.now(UTC))
        assert version.current() != first
    finally:
        version.close()


def test_gantt_and_durations_of_a_real_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from legato.authoring.loader import load_folder
    from legato.config import load_settings

    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "t.py").write_text("import time\nfrom legato import DAG, task\nwith DAG('t') as dag:\n"
                               "    @task\n    def quick():\n        time.sleep(0.05)\n        return 1\n"
                               "    @task\n    def slow(x):\n        time.sleep(0.3)\n        return x\n"
                               "    slow(quick())\n")
    monkeypatch.setenv("LEGATO_DAGS", str(dags))
    (dag,) = load_folder(dags).dags
    run = dag.run()
    settings = load_settings()
    view = ui_time.gantt(settings, "t")
    assert view.run is not None and view.run.run_id == run.run_id
    quick, slow = view.rows
    assert quick.name == "quick" and slow.bars[0].x >= quick.bars[0].x + quick.bars[0].width - 1
    assert re.search(r"quick try 1: success, started [\d:]+, 0\.\d\d s$", quick.bars[0].label)
    assert slow.bars[0].width > 4 * quick.bars[0].width                 # 0.3 s against 0.05 s
    stats = {s.task_id: s for s in ui_time.durations(settings, "t").stats}
    assert 0.04 < stats["quick"].median_s < 0.25 and 0.29 < stats["slow"].median_s < 0.6
    days = ui_time.calendar(settings, "t").days
    assert days[-1].runs == 1 and days[-1].state == "success"


@pytest.fixture
def tmp_live(start_live):  # type: ignore[no-untyped-def]
    return start_live()


@contextmanager
def _session(live: object, role: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.base, timeout=30) as client:         # type: ignore[attr-defined]
        r = client.post("/ui/login", data={"token": live.tokens[role]})   # type: ignore[attr-defined]
        assert r.status_code == 303
        yield client


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found
    return found.group(1)


def test_trigger_form_refuses_bad_params_without_creating_a_run(tmp_live) -> None:  # type: ignore[no-untyped-def]
    (tmp_live.dags / "p.py").write_text("from legato import DAG, task\n"
                                        "with DAG('p', params={'n': 1}) as dag:\n"
                                        "    @task\n    def t():\n        return 1\n    t()\n")
    with _session(tmp_live, "operator") as c:
        form = c.get("/ui/dags/p/trigger")
        assert form.status_code == 200 and 'name="param.n"' in form.text
        bad = c.post("/ui/dags/p/trigger", data={"csrf": _csrf(form.text), "param.n": "many"})
        assert bad.status_code == 422 and "&#39;many&#39; is not a whole number" in bad.text
        assert c.get("/ui/api/dags/p/grid").json()["runs"] == {}
        ok = c.post("/ui/dags/p/trigger", data={"csrf": _csrf(form.text), "param.n": "5",
                                                 "logical_date": "2024-06-01T10:00"})
        assert ok.status_code == 303
    with tmp_live.client("admin") as api:
        (run,) = api.get("/runs", params={"dag_id": "p"}).json()
        assert run["params"] == {"n": 5} and run["logical_date"].startswith("2024-06-01T10:00")
        assert api.get("/audit").json()[0]["detail"]["via"] == "ui"


def test_secrets_are_write_only_and_admin_only(tmp_live) -> None:  # type: ignore[no-untyped-def]
    with _session(tmp_live, "admin") as c:
        page = c.get("/ui/admin/connections")
        csrf = _csrf(page.text)
        r = c.post("/ui/admin/variables", data={"csrf": csrf, "name": "token", "value": "hush-123"})
        assert r.status_code == 303
        bad = c.post("/ui/admin/connections", data={"csrf": csrf, "conn_id": "db", "conn_type": "pg",
                                                     "port": "99999", "password": "pw-456"})
        assert bad.status_code == 422 and "port must be a number" in bad.text and "pw-456" not in bad.text
        listing = c.get("/ui/admin/connections").text
        assert 'data-var="token"' in listing and "hush-123" not in listing
        audit = c.get("/ui/admin/audit", params={"action": "variable.set"}).text
        assert "token" in audit and "hush-123" not in audit
    with _session(tmp_live, "operator") as c:
        assert c.get("/ui/admin/connections").status_code == 403


def test_the_live_channel_over_http(tmp_live) -> None:  # type: ignore[no-untyped-def]
    with _session(tmp_live, "viewer") as c:
        cookies = dict(c.cookies)
        assert c.get("/ui/api/live", params={"topic": "https://evil.example/x"}).status_code == 400
        assert c.get("/ui/api/live", params={"topic": "/ui/api/nothing"}).status_code == 400
    assert httpx.get(f"{tmp_live.base}/ui/api/live", params={"topic": "/ui/api/dags"}).status_code == 401
    with httpx.Client(base_url=tmp_live.base, cookies=cookies, timeout=30) as client, \
            client.stream("GET", "/ui/api/live", params={"topic": "/ui/api/dags"}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        data = next(line for line in r.iter_lines() if line.startswith("data:"))
    assert json.loads(data[5:]) == {"set": ui_views.digest([]), "runs": {}}


def test_one_computation_per_topic_whatever_the_number_of_pages(tmp_path: Path) -> None:
    from legato.config import load_settings
    from legato.server.ui.live import LiveHub

    calls: list[int] = []
    hub = LiveHub(load_settings())
    def build(params: dict[str, str], query: dict[str, str]) -> dict[str, object]:
        calls.append(1)
        return {"runs": {params["name"]: "x"}}
    hub.register("/ui/api/things/{name}", build)

    async def pages(n: int) -> list[str]:
        streams = [hub.stream(hub.resolve("/ui/api/things/a%20b"), None) for _ in range(n)]

        async def first_event(stream: object) -> str:
            async for chunk in stream:                                     # type: ignore[attr-defined]
                if chunk.startswith("id:"):
                    return chunk
            return ""
        try:
            return await asyncio.gather(*(first_event(s) for s in streams))
        finally:
            hub.close()
            for s in streams:
                await s.aclose()

    events = asyncio.run(pages(20))
    assert len(set(events)) == 1 and '"a b":"x"' in events[0]          # path ids are decoded
    assert len(calls) == 1                                               # 20 pages, one computation


def test_task_page_of_a_task_that_never_ran(tmp_live) -> None:  # type: ignore[no-untyped-def]
    with tmp_live.client("operator") as api:
        run_id = api.post("/dags/api_demo/runs", json={}).json()["run_id"]
    with _session(tmp_live, "viewer") as c:
        page = c.get(f"/ui/runs/{run_id}/tasks/say")
        assert page.status_code == 200 and 'id="why"' in page.text and "Waiting" in page.text
        log = c.get(f"/ui/runs/{run_id}/tasks/say/logs")
        assert log.status_code == 200 and "has not started a try yet" in log.text
        text = c.get(f"/ui/api/runs/{run_id}/tasks/say/log/text").json()
        assert text["exists"] is False and text["text"] == ""
        missing = c.get(f"/ui/runs/{run_id}/tasks/nope")
        assert missing.status_code == 404 and 'aria-label="Main"' in missing.text
        assert os.sep + "legato-home" not in missing.text
