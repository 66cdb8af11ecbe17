"""A missing log is a 404 that names the try, never a path on the server (issue 10 item 20)."""

from __future__ import annotations

from pathlib import Path

import pytest

from legato.authoring.loader import load_folder
from legato.config import load_settings
from legato.services import queries
from server_harness import Live


def _run_and_lose_the_log(live: Live, monkeypatch: pytest.MonkeyPatch) -> str:
    """A try whose log went to a file (a long try's does), and the file is then removed."""
    from legato.engine import tasklog

    monkeypatch.setattr(tasklog, "WRITE_THROUGH_AFTER_S", 0.0)
    (dag,) = load_folder(live.dags).dags
    result = dag.run()
    assert result.state == "success"
    for log in load_settings().logs_dir.rglob("*.log"):
        log.unlink()
    return result.run_id


def test_the_api_404_for_a_missing_log_shows_no_server_path(
        live: Live, legato_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = _run_and_lose_the_log(live, monkeypatch)
    with live.client("viewer") as c:
        r = c.get(f"/runs/{run_id}/tasks/say/logs")
    assert r.status_code == 404
    detail = r.json()["detail"]
    assert "'say'" in detail and run_id in detail
    assert str(legato_home) not in detail and "/" not in detail.replace(run_id, "")


def test_the_service_message_names_the_try_not_the_file(
        live: Live, legato_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = _run_and_lose_the_log(live, monkeypatch)
    with pytest.raises(queries.NotFound) as caught:
        queries.read_log(load_settings(), run_id, "say")
    assert ".log" not in str(caught.value) and str(legato_home) not in str(caught.value)
