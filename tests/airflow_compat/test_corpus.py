"""Every DAG of the corpus ends on Legato with exactly the run and task states real Airflow
3.3.2 recorded for it (dags/expected.json; see corpus.py). Files are run unchanged."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from .corpus import DAGS, dag_ids, expected, outcome

sys.path.insert(0, str(Path(__file__).parent / "tools"))
import http_stub

EXPECTED = expected()
CASES = [(path, dag_id) for path in sorted(DAGS.glob("*.py")) for dag_id in dag_ids(path)]
# Where Legato knowingly differs from Airflow; each is reported in docs/guides/airflow.md.
KNOWN: dict[str, str] = {}


@pytest.fixture(scope="module")
def legato_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    server, url = http_stub.start()
    saved = {k: os.environ.get(k) for k in ("LEGATO_HOME", "AIRFLOW_CONN_HTTP_DEFAULT")}
    os.environ["LEGATO_HOME"] = str(home)
    os.environ["AIRFLOW_CONN_HTTP_DEFAULT"] = url
    yield home
    server.shutdown()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def test_corpus_is_recorded_and_large_enough():
    assert len(CASES) >= 40
    assert {d for _, d in CASES} <= set(EXPECTED)


@pytest.mark.parametrize(("path", "dag_id"), CASES, ids=[d for _, d in CASES])
def test_dag_matches_airflow(legato_home, path, dag_id):
    if dag_id in KNOWN:
        pytest.xfail(KNOWN[dag_id])
    got = outcome(path, dag_id)
    want = EXPECTED[dag_id]
    want = {k: v for k, v in want.items() if k in ("state", "tasks", "error")}
    if "error" in want:
        assert "error" in got, f"Airflow refused {dag_id}, Legato ran it: {got}"
        return
    assert got == want
