"""`legato up`: one process serves the API and runs the scheduler; a run triggered over HTTP
completes, and SIGTERM stops both."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from e2e_support import legato_up

from waiting import eventually

pytestmark = pytest.mark.e2e


def test_up_serves_api_and_schedules(tmp_path: Path, legato_home: Path) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "echo.py").write_text(
        "from legato import DAG, task\n"
        "with DAG('echo') as dag:\n"
        "    @task\n"
        "    def say(params):\n"
        "        return params.get('word', 'hi')\n"
        "    say()\n")
    env = {**os.environ, "LEGATO_HOME": str(legato_home), "LEGATO_DAGS": str(dags)}
    with legato_up(env) as (root, tokens):             # SIGTERM at the end: it must exit 0
        base, auth = f"{root}/api/v1", {"Authorization": f"Bearer {tokens['operator']}"}
        created = httpx.post(f"{base}/dags/echo/runs", headers=auth,
                             json={"params": {"word": "up"}}, timeout=10)
        assert created.status_code == 201, created.text
        run_id = created.json()["run_id"]

        def finished() -> str | None:
            state = httpx.get(f"{base}/runs/{run_id}", headers=auth, timeout=5).json()["state"]
            return state if state in ("success", "failed") else None

        assert eventually(finished, 30, what="the run to finish") == "success"
