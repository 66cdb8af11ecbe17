"""Schemathesis over the OpenAPI document against a live server with an admin token: no 5xx.

Bounded (a few dozen examples per operation) so it runs in the normal test suite; for a deeper
run raise FUZZ_EXAMPLES, e.g. `FUZZ_EXAMPLES=500 python -m pytest tests/server/test_openapi_fuzz.py`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")
uvicorn = pytest.importorskip("uvicorn")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from legato.config import Settings  # noqa: E402
from legato.security import create_token  # noqa: E402
from legato.server.app import create_app  # noqa: E402

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
DAG_SOURCE = (
    "from legato import DAG, task\n"
    "with DAG('fuzz_demo', schedule='@daily', start_date='2024-01-01') as dag:\n"
    "    @task\n"
    "    def hello():\n"
    "        return 1\n"
    "    hello()\n"
)


@dataclass
class Target:
    base: str
    headers: dict[str, str]
    openapi: dict[str, Any]


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    home = tmp_path_factory.mktemp("fuzz-home")
    dags = home / "dags"
    dags.mkdir()
    (dags / "fuzz_demo.py").write_text(DAG_SOURCE)
    config = Settings(home=home, database_url=f"sqlite:///{home / 'legato.db'}", dags_folder=dags)
    token, _ = create_token(config, "admin", "fuzz")
    app = create_app(config, rate_limit="1000000/60")
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
        yield Target(f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {token}"}, app.openapi())
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def api_schema(target: Target) -> Any:
    return schemathesis.openapi.from_dict(target.openapi)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: Any, target: Target) -> None:
    case.call_and_validate(base_url=target.base, headers=target.headers, checks=[not_a_server_error])


def test_the_document_lists_the_core_operations(target: Target) -> None:
    paths = target.openapi["paths"]
    assert {"/api/v1/dags", "/api/v1/runs", "/api/v1/runs/{run_id}",
            "/api/v1/dags/{dag_id}/runs"} <= set(paths)
    assert not any(p.startswith("/ui") for p in paths)
