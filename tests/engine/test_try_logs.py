"""Where a try's log goes: a short try's short log is kept in its row (no file per try), a long
one in a file; a log that cannot be written is never lost silently (issue 10 item 13): the
try's record says why, keeps the log's tail, and one line says so on the worker's log."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from legato import DAG, task
from legato.config import load_settings
from legato.engine import tasklog
from legato.services import queries
from legato.store import tries as try_store
from legato.store.db import open_engine


def _ref(run_id: str, task_id: str) -> try_store.TryLogRef:
    with open_engine(load_settings().database_url).connect() as conn:
        ref = try_store.log_of(conn, run_id, task_id, -1, 1)
    assert ref is not None
    return ref


def test_a_short_try_keeps_its_log_in_its_row(legato_home: Path) -> None:
    with DAG("short_log") as dag:
        @task
        def say() -> None:
            print("hello inline")
        say()
    result = dag.run()
    ref = _ref(result.run_id, "say")
    assert ref.path is None and ref.error is None and "hello inline" in (ref.text or "")
    assert not (legato_home / "logs").exists() or not any((legato_home / "logs").rglob("*.log"))
    assert "hello inline" in queries.read_log(load_settings(), result.run_id, "say").text


def test_a_long_log_goes_to_a_file(legato_home: Path) -> None:
    with DAG("long_log") as dag:
        @task
        def chatty() -> None:
            for i in range(5000):
                print(f"line {i:05d} " + "x" * 40)
        chatty()
    result = dag.run()
    ref = _ref(result.run_id, "chatty")
    assert ref.text is None and ref.path is not None and Path(ref.path).is_file()
    assert "line 04999" in queries.read_log(load_settings(), result.run_id, "chatty").text


def test_a_log_that_cannot_be_written_is_recorded_with_its_tail(
        legato_home: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(tasklog, "WRITE_THROUGH_AFTER_S", 0.0)      # a file from the start
    legato_home.mkdir(parents=True, exist_ok=True)
    (legato_home / "logs").write_text("not a folder")                 # the file cannot be made
    with DAG("lost_log") as dag:
        @task
        def work() -> int:
            print("the last words")
            return 1
        work()
    with caplog.at_level(logging.ERROR, logger="legato.worker"):
        result = dag.run()
    assert result["work"].state == "success"
    ref = _ref(result.run_id, "work")
    assert ref.error is not None and "could not be written" in ref.error
    assert "the last words" in (ref.text or "")
    text = queries.read_log(load_settings(), result.run_id, "work").text
    assert "could not be written" in text and "the last words" in text
    assert any("could not be written" in r.getMessage() for r in caplog.records)


def test_a_bare_timeout_without_an_execution_timeout_is_still_recorded(legato_home: Path) -> None:
    """An executor stops a try with an empty TaskTimeout; if the task had no execution_timeout
    (an operator's stop), the runner must still record the outcome, not fail formatting it."""
    from legato.engine.runner import TaskTimeout

    with DAG("bare_timeout") as dag:
        @task
        def stopped() -> None:
            raise TaskTimeout()
        stopped()
    result = dag.run(executor="inline")
    assert result.state == "failed"
    assert result["stopped"].error == "execution_timeout exceeded"
