"""The HTTP API against a real uvicorn server on a free loopback port, through httpx."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")

from legato.authoring.loader import load_folder  # noqa: E402
from legato.config import load_settings  # noqa: E402
from legato.security import create_token  # noqa: E402
from legato.server.app import PREFIX, create_app  # noqa: E402

DAG_SOURCE = (
    "from legato import DAG, task\n"
    "with DAG('api_demo') as dag:\n"
    "    @task\n"
    "    def say():\n"
    "        print('hello from the api test')\n"
    "        return 1\n"
    "    say()\n"
)


@dataclass
class Live:
    base: str
    app: object
    tokens: dict[str, str]
    dags: Path

    def client(self, role: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return httpx.Client(base_url=self.base + PREFIX, headers=headers, timeout=30)


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "api_demo.py").write_text(DAG_SOURCE)
    monkeypatch.setenv("LEGATO_DAGS", str(dags))
    settings = load_settings()
    tokens = {role: create_token(settings, role, f"test-{role}")[0]
              for role in ("viewer", "operator", "admin")}
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield Live(f"http://127.0.0.1:{port}", app, tokens, dags)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_health_needs_no_token(live: Live) -> None:
    with live.client() as c:
        r = c.get("/health")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_every_route_but_health_needs_a_token(live: Live) -> None:
    seen = 0
    with live.client() as c:
        for route in live.app.routes:                       # type: ignore[attr-defined]
            path = getattr(route, "path", "")
            if not path.startswith(PREFIX) or path == f"{PREFIX}/health" or "openapi" in path \
                    or path.startswith(f"{PREFIX}/docs"):
                continue
            url = re.sub(r"\{[^}]+\}", "x", path.removeprefix(PREFIX))
            for method in route.methods:                    # type: ignore[attr-defined]
                for headers in ({}, {"Authorization": "Bearer not-a-token"}):
                    r = c.request(method, url, headers=headers)
                    assert r.status_code == 401, (method, url, r.status_code)
                    assert "detail" in r.json()
                    seen += 1
    assert seen == 14                                       # 7 routes x (no token, bad token)


def test_openapi_is_served(live: Live) -> None:
    with live.client() as c:
        doc = c.get("/openapi.json").json()
    assert f"{PREFIX}/dags/{{dag_id}}/runs" in doc["paths"]


def test_viewer_reads_but_cannot_trigger(live: Live) -> None:
    with live.client("viewer") as c:
        dags = c.get("/dags")
        assert dags.status_code == 200
        assert [d["dag_id"] for d in dags.json()["dags"]] == ["api_demo"]
        assert c.get("/runs").status_code == 200
        r = c.post("/dags/api_demo/runs", json={})
        assert r.status_code == 403 and "detail" in r.json()
        assert c.post("/dags/api_demo/pause").status_code == 403


def test_operator_triggers_and_the_run_is_queued(live: Live) -> None:
    with live.client("operator") as c:
        r = c.post("/dags/api_demo/runs", json={"logical_date": "2024-05-01", "params": {"a": 1}})
        assert r.status_code == 201, r.text
        run_id = r.json()["run_id"]
        shown = c.get(f"/runs/{run_id}")
        assert shown.status_code == 200
        doc = shown.json()
        assert doc["state"] == "queued" and doc["dag_id"] == "api_demo"
        assert set(doc["tasks"]) == {"say"}
        assert run_id in [x["run_id"] for x in c.get("/runs", params={"dag_id": "api_demo"}).json()]
        assert c.post("/dags/api_demo/pause").json()["is_paused"] is True
        assert c.post("/dags/api_demo/unpause").json()["is_paused"] is False


def test_idempotency_key_returns_the_first_run(live: Live) -> None:
    with live.client("operator") as c:
        headers = {"Idempotency-Key": "abc-123"}
        first = c.post("/dags/api_demo/runs", json={}, headers=headers)
        second = c.post("/dags/api_demo/runs", json={}, headers=headers)
        other = c.post("/dags/api_demo/runs", json={}, headers={"Idempotency-Key": "other"})
        assert first.status_code == 201 and second.status_code == 200
        assert first.json()["run_id"] == second.json()["run_id"] != other.json()["run_id"]
        assert len(c.get("/runs", params={"dag_id": "api_demo"}).json()) == 2


def test_not_found_and_bad_input_are_json_4xx(live: Live) -> None:
    with live.client("admin") as c:
        r = c.get("/runs/no-such-run")
        assert r.status_code == 404 and "no-such-run" in r.json()["detail"]
        assert c.post("/dags/no_such_dag/runs", json={}).status_code == 404
        for body in ('{"params": 5}', "not json", '{"surprise": 1}', "[]"):
            r = c.post("/dags/api_demo/runs", content=body,
                       headers={"Content-Type": "application/json"})
            assert 400 <= r.status_code < 500, (body, r.status_code)
            assert isinstance(r.json()["detail"], str)
        r = c.post("/dags/api_demo/runs", json={"logical_date": "yesterday-ish"})
        assert r.status_code == 400 and "logical_date" in r.json()["detail"]
        assert c.get("/runs", params={"limit": "many"}).status_code == 422
        assert c.get("/nowhere").status_code == 404


def test_log_route_returns_the_text_of_a_try(live: Live) -> None:
    (dag,) = load_folder(live.dags).dags
    result = dag.run()
    assert result.state == "success"
    with live.client("viewer") as c:
        r = c.get(f"/runs/{result.run_id}/tasks/say/logs", params={"try": 1})
        assert r.status_code == 200, r.text
        assert "hello from the api test" in r.text
        assert c.get(f"/runs/{result.run_id}/tasks/say/logs", params={"try": 9}).status_code == 404
        assert c.get(f"/runs/{result.run_id}/tasks/nope/logs").status_code == 404
