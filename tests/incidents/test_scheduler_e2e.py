"""`legato scheduler` as a process delivers incident events: a failing run opens an incident
at a webhook (a global sink from LEGATO_INCIDENTS), the next good run resolves it, and a
webhook that was down when the failure happened still gets every event, in order."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import Recorder, Request, serve

pytestmark = pytest.mark.e2e


def test_scheduler_process_opens_and_resolves_through_a_webhook(tmp_path: Path,
                                                                legato_home: Path) -> None:
    down = {"left": 2}

    def reply(req: Request) -> tuple[int, object, float]:
        if down["left"]:
            down["left"] -= 1
            return 503, {}, 0
        return 200, {}, 0

    hook = serve(Recorder(reply=reply))
    dags = tmp_path / "dags"
    dags.mkdir()
    flag = tmp_path / "broken"
    flag.write_text("yes")
    (dags / "etl.py").write_text(
        "from pathlib import Path\n"
        "from legato import DAG, task\n"
        "with DAG('etl', schedule=None) as dag:\n"
        "    @task\n"
        "    def load():\n"
        f"        if Path({str(flag)!r}).exists():\n"
        "            raise ConnectionError('warehouse unreachable')\n"
        "    load()\n")
    env = {**os.environ, "LEGATO_HOME": str(legato_home), "LEGATO_DAGS": str(dags),
           "LEGATO_INCIDENTS": hook.url + "/legato"}
    cli = [sys.executable, "-m", "legato.cli.main"]
    proc = subprocess.Popen([*cli, "scheduler"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        subprocess.run([*cli, "dags", "trigger", "etl"], env=env, check=True, capture_output=True)
        assert [r.json["event"] for r in hook.wait_for(1, 60)] == ["incident.opened"]
        flag.unlink()
        subprocess.run([*cli, "dags", "trigger", "etl"], env=env, check=True, capture_output=True)
        events = [r.json["event"] for r in hook.wait_for(2, 60)]
        assert events == ["incident.opened", "incident.resolved"]
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
        hook.server.shutdown()
    assert proc.returncode == 0, out
    assert sum(1 for r in hook.requests if r.json["event"] == "incident.opened") == 3
    listed = subprocess.run([*cli, "incidents", "list", "--json"], env=env, capture_output=True,
                            text=True, check=True)
    (inc,) = json.loads(listed.stdout)
    assert inc["state"] == "resolved" and inc["error_type"] == "ConnectionError"
