"""Schemathesis over the OpenAPI document against a live server, with ALL its checks (issue 10
item 17): no 5xx, every status code, content type, header and body documented, schema-valid
requests accepted, schema-violating ones refused, authentication enforced, 405s with a right
`Allow`. The store is seeded first (a run with a failure and its incident, dead letters, a drift
report, a dataset update) so that list answers are checked against their schemas too.

Bounded (a few dozen examples per operation, ~15 s) so it runs in the normal test suite; for
a deeper run raise FUZZ_EXAMPLES, e.g. `FUZZ_EXAMPLES=500 python -m pytest
tests/server/test_openapi_fuzz.py`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")
pytest.importorskip("uvicorn")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import CHECKS, load_all_checks  # noqa: E402

from legato.authoring.loader import load_folder  # noqa: E402
from legato.config import load_settings  # noqa: E402
from legato.security import create_token  # noqa: E402
from legato.server.app import create_app  # noqa: E402
from server_harness import uvicorn_serving  # noqa: E402

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
load_all_checks()
ALL_CHECKS = list(CHECKS.get_all())
DAG_SOURCE = '''
from legato import DAG, Dataset, task
from legato.quality import Contract, drift_gate, validate

ROW = Contract({"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]},
               name="row")

with DAG("fuzz_demo", schedule="@daily", start_date="2024-01-01") as dag:
    @task(outlets=[Dataset("duckdb://warehouse/fuzz.rows")])
    def hello():
        good = validate([{"n": 1}, {"n": "two"}, {"m": 3}], ROW, max_reject_ratio=1.0)
        return len(drift_gate(good, dataset="fuzz.rows"))

    @task
    def broken():
        raise RuntimeError("fuzz failure <&>")

    hello()
    broken()
'''


@dataclass
class Target:
    base: str
    headers: dict[str, str]
    openapi: dict[str, Any]


def _seed(home: Any, dags: Any) -> None:
    """One run of the DAG against the fuzz store: runs, tries, an incident, dead letters, a drift
    report, a dataset update."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LEGATO_HOME", str(home))
        mp.setenv("LEGATO_DAGS", str(dags))
        mp.delenv("LEGATO_DATABASE_URL", raising=False)
        (dag,) = load_folder(dags).dags
        assert dag.run().state == "failed"
        return load_settings()


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    home = tmp_path_factory.mktemp("fuzz-home")
    dags = home / "dags"
    dags.mkdir()
    (dags / "fuzz_demo.py").write_text(DAG_SOURCE)
    config = _seed(home, dags)
    token, _ = create_token(config, "admin", "fuzz")
    app = create_app(config, rate_limit="1000000/60")
    with uvicorn_serving(app) as root:
        yield Target(root, {"Authorization": f"Bearer {token}"}, app.openapi())


@pytest.fixture(scope="module")
def api_schema(target: Target) -> Any:
    return schemathesis.openapi.from_dict(target.openapi)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_does_what_its_document_says(case: Any, target: Target) -> None:
    case.call_and_validate(base_url=target.base, headers=target.headers, checks=ALL_CHECKS)


def test_all_the_checks_run() -> None:
    names = {c.__name__ for c in ALL_CHECKS}
    assert {"not_a_server_error", "status_code_conformance", "response_schema_conformance",
            "content_type_conformance", "positive_data_acceptance", "negative_data_rejection",
            "ignored_auth", "unsupported_method", "missing_required_header"} <= names


def test_the_document_lists_the_core_operations(target: Target) -> None:
    paths = target.openapi["paths"]
    assert {"/api/v1/dags", "/api/v1/runs", "/api/v1/runs/{run_id}",
            "/api/v1/dags/{dag_id}/runs", "/api/v1/tokens"} <= set(paths)
    assert not any(p.startswith("/ui") for p in paths)


def test_every_error_is_documented_as_the_json_it_is(target: Target) -> None:
    schemas = target.openapi["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ErrorBody" in schemas
    for path, item in target.openapi["paths"].items():
        for method, op in item.items():
            answers = op["responses"]
            if path != "/api/v1/health":
                assert {"401", "429"} <= set(answers), (method, path)
                assert op["security"], (method, path)
            for status, answer in answers.items():
                if status >= "400":
                    assert answer["content"] == {"application/json": {
                        "schema": {"$ref": "#/components/schemas/ErrorBody"}}}, (method, path, status)
