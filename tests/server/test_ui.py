"""The web UI over HTTP against a live server: sessions, roles, CSRF, pages and their JSON.

(The browser-driven tests are in tests/e2e/test_ui_browser.py.)
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from urllib.parse import quote

import httpx
import pytest
import sqlalchemy as sa

pytest.importorskip("fastapi")

from legato.authoring.loader import load_folder
from legato.config import load_settings
from legato.services import queries, ui_graph, ui_logs, ui_views
from legato.services.queries import NotFound
from legato.store.db import open_engine
from legato.store.schema import dag_runs, task_instances
from server_harness import Live


@contextmanager
def browser(live: Live, role: str | None = None) -> Iterator[httpx.Client]:
    """A cookie-keeping client, logged in with the token of `role` when given."""
    with httpx.Client(base_url=live.base, timeout=30) as client:
        if role:
            r = client.post("/ui/login", data={"token": live.tokens[role], "next": "/ui/dags"})
            assert r.status_code == 303 and r.headers["location"] == "/ui/dags"
        yield client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found, "page has no CSRF field"
    return found.group(1)


def test_login_sets_a_strict_httponly_cookie_and_pages_need_it(live: Live) -> None:
    with browser(live) as c:
        r = c.get("/ui/dags/api_demo/grid?runs=5")
        assert r.status_code == 303
        assert r.headers["location"] == "/ui/login?next=/ui/dags/api_demo/grid%3Fruns%3D5"
        form = c.get(r.headers["location"])
        assert 'name="next" value="/ui/dags/api_demo/grid?runs=5"' in form.text
        bad = c.post("/ui/login", data={"token": "lgt_nope"})
        assert bad.status_code == 401 and "not valid" in bad.text and not c.cookies
        ok = c.post("/ui/login", data={"token": live.tokens["viewer"], "next": "https://evil.example/"})
        assert ok.status_code == 303 and ok.headers["location"] == "/ui/dags"     # no open redirect
        cookie = ok.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
        page = c.get("/ui/dags")
        assert page.status_code == 200 and "api_demo" in page.text
        assert "default-src 'self'" in page.headers["content-security-policy"]
        r = c.post("/ui/logout", data={"csrf": csrf_of(page.text)})
        assert r.status_code == 303 and r.headers["location"] == "/ui/login"
        assert c.get("/ui/dags").status_code == 303                              # logged out


def test_viewer_sees_no_buttons_and_cannot_post(live: Live) -> None:
    with browser(live, "viewer") as c:
        page = c.get("/ui/dags")
        assert "Trigger" not in page.text and 'class="pause-toggle"' not in page.text
        r = c.post("/ui/dags/api_demo/trigger", data={"csrf": csrf_of(page.text)})
        assert r.status_code == 403 and "operator" in r.text
        assert c.post("/ui/dags/api_demo/pause", data={"csrf": csrf_of(page.text)}).status_code == 403
    with live.client("admin") as api:
        assert api.get("/runs", params={"dag_id": "api_demo"}).json() == []


def test_operator_triggers_and_pauses_with_csrf_and_same_origin(live: Live) -> None:
    with browser(live, "operator") as c:
        page = c.get("/ui/dags")
        token = csrf_of(page.text)
        assert "Trigger" in page.text
        assert c.post("/ui/dags/api_demo/trigger", data={}).status_code == 403
        assert c.post("/ui/dags/api_demo/trigger", data={"csrf": "0" * 64}).status_code == 403
        evil = c.post("/ui/dags/api_demo/trigger", data={"csrf": token},
                      headers={"Origin": "https://evil.example"})
        assert evil.status_code == 403
        r = c.post("/ui/dags/api_demo/trigger", data={"csrf": token}, headers={"Origin": live.base})
        assert r.status_code == 303 and r.headers["location"] == "/ui/dags/api_demo/grid"
        grid = c.get("/ui/api/dags/api_demo/grid").json()
        assert len(grid["runs"]) == 1 and grid["tasks"] == ["say"]
        (run_id,) = grid["runs"]
        assert grid["cells"][run_id] == {"say": "scheduled"}
        r = c.post("/ui/dags/api_demo/pause", data={"csrf": token, "next": "/ui/dags/api_demo/grid"})
        assert r.status_code == 303 and r.headers["location"] == "/ui/dags/api_demo/grid"
        assert "Unpause" in c.get("/ui/dags").text
    with live.client("admin") as api:
        dags = api.get("/dags").json()["dags"]
        assert dags[0]["is_paused"] is True and dags[0]["next_run"] is None
        actions = [(row["action"], row["detail"].get("via")) for row in api.get("/audit").json()]
        assert actions == [("pause", "ui"), ("trigger", "ui")]


def test_pages_render_a_finished_run_and_its_log(live: Live) -> None:
    (dag,) = load_folder(live.dags).dags
    run_id = dag.run().run_id
    with browser(live, "viewer") as c:
        grid = c.get("/ui/dags/api_demo/grid")
        assert grid.status_code == 200
        assert f'data-col-run="{run_id}"' in grid.text and '<tr data-task="say">' in grid.text
        assert f'href="/ui/runs/{quote(run_id, safe="")}/tasks/say" aria-label="say, ' in grid.text
        assert "s-success" in grid.text
        graph = c.get("/ui/dags/api_demo/graph")
        assert graph.status_code == 200 and "<svg" in graph.text and 'data-task="say"' in graph.text
        run = c.get(f"/ui/runs/{run_id}")
        assert run.status_code == 200 and "success" in run.text
        log = c.get(f"/ui/runs/{run_id}/tasks/say/logs", params={"try": 1})
        assert log.status_code == 200 and "hello from the api test" in log.text
        assert c.get(f"/ui/runs/{run_id}/tasks/say/logs", params={"try": 7}).status_code == 404
        assert c.get(f"/ui/runs/{run_id}/tasks/say/logs", params={"try": "x"}).status_code == 422
        assert c.get("/ui/dags/nope/grid").status_code == 404
        assert c.get("/ui/dags/api_demo/grid", params={"runs": 0}).status_code == 422
        assert c.get("/ui/api/runs/nope").status_code == 404
        assert c.get("/ui/api/runs/nope").json()["detail"]
        state = c.get(f"/ui/api/runs/{run_id}").json()
        assert state["runs"] == {run_id: "success"} and state["cells"][run_id] == {"say": "success"}


def test_ui_json_and_docs_without_a_session(live: Live) -> None:
    with browser(live) as c:
        r = c.get("/ui/api/dags")
        assert r.status_code == 401 and "log in" in r.json()["detail"]
        assert c.get("/api/v1/openapi.json").status_code == 401
        assert c.get("/api/v1/docs").headers["location"] == "/ui/login?next=/api/v1/docs"
    with browser(live, "viewer") as c:                          # a UI session opens them
        assert "paths" in c.get("/api/v1/openapi.json").json()
        assert c.get("/api/v1/docs").status_code == 200


def test_log_reads_never_leave_the_logs_folder(live: Live) -> None:
    """A crafted run id and task id in the store (ids are data) cannot reach a file outside."""
    settings = load_settings()
    secret = settings.home / "outside" / "secret.try1.log"
    secret.parent.mkdir(parents=True)
    secret.write_text("TOP SECRET")
    now = datetime.now(UTC)
    run_id, task_id = "../../outside", "secret"
    with open_engine(settings.database_url).begin() as conn:
        conn.execute(sa.insert(dag_runs).values(
            run_id=run_id, dag_id="api_demo", run_type="manual", logical_date=now,
            data_interval_start=now, data_interval_end=now, state="success", params_json="{}",
            created_at=now))
        conn.execute(sa.insert(task_instances).values(run_id=run_id, task_id=task_id, map_index=-1,
                                                      state="success", try_number=1))
    with pytest.raises(NotFound):
        queries.read_log(settings, run_id, task_id)
    with pytest.raises(NotFound, match="outside the logs folder"):
        ui_logs.find_log(settings, run_id, task_id)
    with live.client("viewer") as api:
        r = api.get(f"/runs/{run_id.replace('/', '%2F')}/tasks/{task_id}/logs")
        assert r.status_code == 404 and "TOP SECRET" not in r.text
    with browser(live, "viewer") as c:
        r = c.get(f"/ui/runs/{run_id.replace('/', '%2F')}/tasks/{task_id}/logs")
        assert r.status_code == 404 and "TOP SECRET" not in r.text


def test_idempotency_key_survives_a_restart_and_a_race(start_live: Callable[..., Live]) -> None:
    first = start_live()
    with first.client("operator") as c:
        created = c.post("/dags/api_demo/runs", json={}, headers={"Idempotency-Key": "nightly"})
        run_id = created.json()["run_id"]
    second = start_live()                               # a new app on the same store
    with httpx.Client(base_url=second.base + "/api/v1", timeout=30,
                      headers={"Authorization": f"Bearer {first.tokens['operator']}"}) as c:
        again = c.post("/dags/api_demo/runs", json={}, headers={"Idempotency-Key": "nightly"})
        assert again.status_code == 200 and again.json()["run_id"] == run_id
        answers: list[httpx.Response] = []
        lock = threading.Lock()

        def fire() -> None:
            r = c.post("/dags/api_demo/runs", json={}, headers={"Idempotency-Key": "race"})
            with lock:
                answers.append(r)

        threads = [threading.Thread(target=fire) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(r.status_code for r in answers) == [200] * 7 + [201]
    assert len({r.json()["run_id"] for r in answers}) == 1
    with second.client("admin") as api:
        assert len(api.get("/runs", params={"dag_id": "api_demo"}).json()) == 2


def test_grid_costs_two_queries_for_runs_and_instances(live: Live) -> None:
    settings = load_settings()
    (dag,) = load_folder(live.dags).dags
    for _ in range(3):
        dag.run()
    engine = open_engine(settings.database_url)
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        view = ui_views.grid(settings, "api_demo", limit=2)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert len(view.runs) == 2 and all(view.state(r.run_id, "say") == "success" for r in view.runs)
    on_runs = [s for s in statements if "FROM dag_runs" in s]
    on_instances = [s for s in statements if "FROM task_instances" in s]
    assert len(on_runs) == 1 and len(on_instances) == 1 and len(statements) == 3   # + the DAG's spec


def test_layered_layout_puts_each_task_after_its_upstream() -> None:
    upstream = {"a": (), "b": ("a",), "c": ("a",), "d": ("b", "c"), "e": ("a", "d"), "lone": ()}
    order = ["a", "b", "c", "d", "e", "lone"]
    layers = ui_graph.layers_of(order, upstream)
    for task, ups in upstream.items():
        for u in ups:
            assert layers[u] < layers[task], (u, task)
    assert layers["a"] == layers["lone"] == 0 and layers["e"] == 3
    boxes = ui_graph.layout(order, upstream).boxes
    assert len(set(boxes.values())) == len(order)                  # no two tasks on one spot
    cyclic = ui_graph.layers_of(["x", "y"], {"x": ("y",), "y": ("x",)})
    assert set(cyclic) == {"x", "y"}


def test_fold_states_shows_the_worst_of_a_mapped_task() -> None:
    assert ui_views.fold_states(["success", "failed", "running"]) == "failed"
    assert ui_views.fold_states(["success", "running"]) == "running"
    assert ui_views.fold_states(["success", "skipped", "success"]) == "skipped"     # never hidden
    assert ui_views.fold_mix(["success", "skipped", "success"]) == ("skipped", "success")
    assert ui_views.fold_mix(["success", "success"]) == ("success", None)
    assert ui_views.fold_states(["removed", "success"]) == "removed"
    assert ui_views.fold_states([]) == "none"


def test_dag_list_next_run_of_a_scheduled_dag(live: Live) -> None:
    (live.dags / "daily.py").write_text(
        "from legato import DAG, task\n"
        "with DAG('daily', schedule='@daily', start_date='2024-01-01') as dag:\n"
        "    @task\n"
        "    def t():\n"
        "        return 1\n"
        "    t()\n")
    now = datetime(2024, 3, 5, 10, 0, tzinfo=UTC)
    view = ui_views.dag_list(load_settings(), now=now)
    daily = next(d for d in view.dags if d.dag_id == "daily")
    assert daily.next_run == now                         # overdue: created on the next pass
    later = ui_views.dag_list(load_settings(), now=datetime(2023, 12, 1, tzinfo=UTC))
    assert next(d for d in later.dags if d.dag_id == "daily").next_run == datetime(2024, 1, 2, tzinfo=UTC)
    assert next(d for d in view.dags if d.dag_id == "api_demo").next_run is None



def test_log_page_of_a_mapped_task_offers_its_instances(live: Live) -> None:
    (live.dags / "mapped_demo.py").write_text(
        "from legato import DAG, task\n"
        "with DAG('mapped_demo') as dag:\n"
        "    @task\n"
        "    def each(x):\n"
        "        print(f'item number {x}')\n"
        "        return x\n"
        "    each.expand(x=[10, 20, 30])\n")
    (dag,) = [d for d in load_folder(live.dags).dags if d.dag_id == "mapped_demo"]
    run_id = dag.run().run_id
    with browser(live, "viewer") as c:
        first = c.get(f"/ui/runs/{run_id}/tasks/each/logs")
        assert first.status_code == 200 and "item number 10" in first.text
        assert 'id="map-indexes"' in first.text and "map_index=2" in first.text
        third = c.get(f"/ui/runs/{run_id}/tasks/each/logs", params={"map_index": 2})
        assert "item number 30" in third.text and "item number 10" not in third.text
        assert c.get(f"/ui/runs/{run_id}/tasks/each/logs", params={"map_index": 9}).status_code == 404


def test_dag_list_says_on_event_for_event_and_dataset_dags(live: Live) -> None:
    (live.dags / "triggered.py").write_text(
        "from legato import DAG, Dataset, events, task\n"
        "for dag_id, schedule in [('on_file', events.FileArrival('/tmp/in/*.csv')),\n"
        "                         ('on_data', [Dataset('file:///warehouse/a')])]:\n"
        "    with DAG(dag_id, schedule=schedule) as dag:\n"
        "        @task\n"
        "        def t():\n"
        "            return 1\n"
        "        t()\n"
        "    globals()[dag_id] = dag\n")
    view = {d.dag_id: d for d in ui_views.dag_list(load_settings()).dags}
    assert view["on_file"].on_event and view["on_data"].on_event
    assert not view["api_demo"].on_event
    assert view["on_file"].next_run is None and view["on_file"].to_json()["on_event"] is True
