"""The HTTP API against a real uvicorn server on a free loopback port, through httpx.

Includes SPEC section 8: the per-client rate limit and the audit log.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

pytest.importorskip("fastapi")

from legato.authoring.loader import load_folder
from legato.config import load_settings
from legato.server.app import PREFIX, create_app
from legato.server.ratelimit import RateLimit, SlidingWindowLimiter, parse_rate_limit
from server_harness import Live


def test_health_needs_no_token(live: Live) -> None:
    with live.client() as c:
        r = c.get("/health")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def _routes(routes: list[object], prefix: str = "") -> list[tuple[str, str]]:
    found = []
    for route in routes:
        inner = getattr(route, "original_router", None)       # an included router (FastAPI >= 0.13x)
        if inner is not None:
            found += _routes(inner.routes, prefix + route.include_context.prefix)  # type: ignore[attr-defined]
        elif getattr(route, "methods", None):                 # a Mount (/ui/static) has none
            found += [(m, prefix + route.path) for m in sorted(route.methods) if m != "HEAD"]  # type: ignore[attr-defined]
    return found


def _walk(app: object) -> list[tuple[str, str]]:
    """(method, path) of every route of the app but health, login and the static files."""
    return [(m, p) for m, p in _routes(app.routes)             # type: ignore[attr-defined]
            if p not in (f"{PREFIX}/health", "/ui/login")]


def test_every_route_but_health_and_login_needs_a_token(live: Live) -> None:
    seen: set[str] = set()
    with httpx.Client(base_url=live.base, timeout=30) as c:
        for method, path in _walk(live.app):
            url = re.sub(r"\{[^}]+\}", "x", path)
            for creds in ({}, {"headers": {"Authorization": "Bearer not-a-token"}},
                          {"headers": {"Cookie": "legato_session=not-a-token"}}):
                r = c.request(method, url, **creds)             # type: ignore[arg-type]
                page = path.startswith("/ui") and not path.startswith("/ui/api/")
                bearer = "Authorization" in creds.get("headers", {})
                if page or (path == f"{PREFIX}/docs" and not bearer):
                    assert r.status_code == 303, (method, url, creds, r.status_code)
                    assert r.headers["location"].startswith("/ui/login?next="), (method, url)
                else:
                    assert r.status_code == 401, (method, url, creds, r.status_code)
                    assert isinstance(r.json()["detail"], str)
            seen.add(path)
    assert {f"{PREFIX}/openapi.json", f"{PREFIX}/docs", f"{PREFIX}/dags/{{dag_id}}/runs", "/ui",
            "/ui/dags", "/ui/dags/{dag_id}/grid", "/ui/dags/{dag_id}/graph", "/ui/runs/{run_id}",
            "/ui/runs/{run_id}/tasks/{task_id}/logs", "/ui/dags/{dag_id}/trigger",
            "/ui/dags/{dag_id}/pause", "/ui/dags/{dag_id}/unpause", "/ui/logout", "/ui/api/dags",
            "/ui/api/dags/{dag_id}/grid", "/ui/api/runs/{run_id}"} <= seen


def test_openapi_is_served(live: Live) -> None:
    with live.client("viewer") as c:
        doc = c.get("/openapi.json").json()
        docs = c.get("/docs")
    assert f"{PREFIX}/dags/{{dag_id}}/runs" in doc["paths"]
    assert docs.status_code == 200 and f"{PREFIX}/dags/{{dag_id}}/runs" in docs.text
    assert "cdn" not in docs.text.lower()


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
        r = c.post("/dags/api_demo/runs", json={}, headers={"Idempotency-Key": "k" * 251})
        assert r.status_code == 422 and "idempotency-key" in r.json()["detail"]   # the document's limit


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
        assert r.status_code == 422 and "logical_date" in r.json()["detail"]     # format date(-time)
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


def test_sixth_request_is_429_per_token_and_health_is_free(start_live: Callable[..., Live]) -> None:
    server = start_live(rate_limit="5/60")
    with server.client("viewer") as c:
        for _ in range(5):
            assert c.get("/runs").status_code == 200
        r = c.get("/runs")
        assert r.status_code == 429
        assert isinstance(r.json()["detail"], str)
        retry = r.headers["Retry-After"]
        assert retry.isdigit() and 1 <= int(retry) <= 60
        assert c.get("/health").status_code == 200          # never limited
    with server.client("operator") as other:                # another token has its own budget
        assert other.get("/runs").status_code == 200
    with server.client() as anonymous:                      # no token: limited by IP, apart
        for _ in range(3):
            assert anonymous.get("/health").status_code == 200


def test_unauthenticated_requests_are_limited_by_ip(start_live: Callable[..., Live]) -> None:
    server = start_live(rate_limit="2/60")
    with server.client() as c:
        assert c.get("/runs").status_code == 401
        assert c.get("/runs").status_code == 401
        r = c.get("/runs")
        assert r.status_code == 429 and "Retry-After" in r.headers
    with server.client("viewer") as c:
        assert c.get("/runs").status_code == 200


def test_rate_limit_from_the_environment(monkeypatch: pytest.MonkeyPatch, legato_home: Path) -> None:
    monkeypatch.setenv("LEGATO_RATE_LIMIT", "7/30")
    assert create_app(load_settings()) is not None
    monkeypatch.setenv("LEGATO_RATE_LIMIT", "lots")
    with pytest.raises(ValueError, match="LEGATO_RATE_LIMIT"):
        create_app(load_settings())


def test_parse_and_sliding_window() -> None:
    assert parse_rate_limit(None) == RateLimit(2000, 300.0)
    assert parse_rate_limit(" 5 / 60 ") == RateLimit(5, 60.0)
    for bad in ("0/60", "5/0", "5", "a/b"):
        with pytest.raises(ValueError):
            parse_rate_limit(bad)
    now = [100.0]
    limiter = SlidingWindowLimiter(RateLimit(2, 10), clock=lambda: now[0])
    assert limiter.hit("a") is None
    now[0] = 104.0
    assert limiter.hit("a") is None
    assert limiter.hit("a") == 6                            # the first hit leaves at t=110
    assert limiter.hit("b") is None
    now[0] = 110.5
    assert limiter.hit("a") is None                         # a slot freed
    assert limiter.hit("a") == 4


def test_operator_actions_are_audited_and_only_admins_read(live: Live) -> None:
    with live.client("operator") as c:
        run_id = c.post("/dags/api_demo/runs", json={"params": {"x": 1}}).json()["run_id"]
        assert c.post("/dags/api_demo/pause").status_code == 200
        assert c.post("/dags/api_demo/unpause").status_code == 200
        assert c.get("/audit").status_code == 403
    with live.client("viewer") as c:
        r = c.get("/audit")
        assert r.status_code == 403 and "detail" in r.json()
    with live.client("admin") as c:
        rows = c.get("/audit").json()
        assert [row["action"] for row in rows] == ["unpause", "pause", "trigger"]   # newest first
        assert {row["actor"] for row in rows} == {"test-operator (operator)"}
        assert {row["target"] for row in rows} == {"api_demo"}
        assert rows[2]["detail"]["run_id"] == run_id and rows[2]["detail"]["params"] == {"x": 1}
        assert rows[0]["id"] > rows[1]["id"] > rows[2]["id"]
        assert rows[0]["at"] >= rows[2]["at"] and rows[0]["at"].endswith("+00:00")
        assert [row["action"] for row in c.get("/audit", params={"limit": 1}).json()] == ["unpause"]


def test_failed_actions_are_not_audited(live: Live) -> None:
    with live.client("operator") as c:
        assert c.post("/dags/no_such_dag/runs", json={}).status_code == 404
        assert c.post("/dags/api_demo/runs", json={}, headers={"Idempotency-Key": "k"}).status_code == 201
        assert c.post("/dags/api_demo/runs", json={}, headers={"Idempotency-Key": "k"}).status_code == 200
    with live.client("admin") as c:
        assert [row["action"] for row in c.get("/audit").json()] == ["trigger"]


def test_limiter_is_thread_safe() -> None:
    limiter = SlidingWindowLimiter(RateLimit(500, 60))
    allowed: list[bool] = []
    lock = threading.Lock()

    def hammer() -> None:
        for _ in range(100):
            ok = limiter.hit("shared") is None
            with lock:
                allowed.append(ok)

    threads = [threading.Thread(target=hammer) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(allowed) == 1000 and sum(allowed) == 500


def test_values_beyond_the_store_are_a_400_not_a_crash(live: Live) -> None:
    def huge() -> None:
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    live.app.add_api_route(f"{PREFIX}/test-overflow", huge)          # type: ignore[attr-defined]
    with live.client("viewer") as c:
        r = c.get("/test-overflow")
    assert r.status_code == 400 and "out of range" in r.json()["detail"]
