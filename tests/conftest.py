"""Every test gets its own $LEGATO_HOME, so stores never leak between tests.

`backend` runs a test on SQLite and on PostgreSQL, in a database of its own on the server
services.py finds (LEGATO_TEST_POSTGRES_URL, else the standard local port); under CI, or with
the variable set, a server that does not answer fails the test, it never silently skips.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from legato.authoring.variables import set_default_resolver
from legato.store.db import dispose_all
from services import scratch_postgres

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(autouse=True)
def legato_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "legato-home"
    monkeypatch.setenv("LEGATO_HOME", str(home))
    monkeypatch.delenv("LEGATO_DATABASE_URL", raising=False)
    # New DAGs start paused by default (as in Airflow); most tests exercise schedules and
    # triggers, so they start active here. tests/engine/test_paused_at_creation.py covers
    # the default itself.
    monkeypatch.setenv("LEGATO_DAGS_PAUSED_AT_CREATION", "false")
    yield home
    set_default_resolver(None)       # attach_all (dag.run) points it at this test's store
    dispose_all()


@pytest.fixture
def scratch_postgres_url() -> Iterator[str]:
    """A new, empty database on the test PostgreSQL server; dropped afterwards."""
    with scratch_postgres() as url:
        yield url


@pytest.fixture(scope="session")
def dask_cluster() -> Iterator[Any]:
    """A local Dask cluster of two worker processes (two threads each), shared by the tests
    that need one. Workers keep the DAGs they imported: each test module uses DAG ids of its
    own."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=2,
                                  dashboard_address=":0") as cluster:
        yield cluster


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """"sqlite" (the per-test home) or "postgresql" (a scratch database as the store)."""
    if request.param == "postgresql":
        monkeypatch.setenv("LEGATO_DATABASE_URL", request.getfixturevalue("scratch_postgres_url"))
    return request.param
