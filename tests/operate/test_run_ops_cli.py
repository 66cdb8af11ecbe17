"""Operating a run in place from the CLI (issue 12): clear, retry from failure, mark, cancel,
note — with the exit codes and one-line errors scripts rely on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from legato.config import load_settings
from legato.services import queries
from process_support import base_env, cli, write_dag

STORY = """
    import os
    from pathlib import Path
    from legato import DAG, task
    HERE = Path({here!r})

    def note(what):
        with (HERE / "ledger.txt").open("a") as f:
            f.write(what + "\\n")

    with DAG("story", schedule=None) as dag:
        @task
        def extract():
            note("extract")
            return 20

        @task
        def transform(x):
            note("transform")
            print("transforming", x)           # never on stdout under --json
            return x + int((HERE / "input.txt").read_text())

        @task
        def load(y):
            note("load")
            return y * 2

        @task.branch
        def route(y):
            return "load"

        load(transform(extract()))
"""


@pytest.fixture()
def story(tmp_path: Path, legato_home: Path) -> tuple[dict[str, str], Path, str]:
    """A run of `story` that failed: transform's input was missing."""
    path = write_dag(tmp_path / "dags", "story", STORY.format(here=str(tmp_path)))
    env = base_env(legato_home, tmp_path / "dags")
    done = cli(env, "run", str(path), "--json")
    assert done.returncode == 1, done.stderr
    return env, tmp_path, json.loads(done.stdout)["run_id"]


def _ledger(here: Path) -> list[str]:
    return (here / "ledger.txt").read_text().split()


def test_retry_from_failure_reruns_only_what_failed(story: tuple[dict[str, str], Path, str]) -> None:
    env, here, run_id = story
    planned = cli(env, "runs", "retry", run_id, "--dry-run")
    assert json.loads(planned.stdout) == {"run_id": run_id, "task_ids": ["transform", "load"]}
    (here / "input.txt").write_text("22")
    done = cli(env, "runs", "retry", run_id, "--wait", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["run_id"] == run_id and doc["state"] == "success"
    assert {t: (v["state"], v["tries"]) for t, v in doc["tasks"].items()} == {
        "extract": ("success", 1), "transform": ("success", 2), "load": ("success", 1)}
    assert _ledger(here) == ["extract", "transform", "transform", "load"]   # extract ran once
    assert queries.show_run(load_settings(), run_id)["load"].result == 84  # read its stored 20
    first = cli(env, "logs", run_id, "transform", "--try", "1")
    assert "FileNotFoundError" in first.stdout                      # the first try's log kept


def test_clear_with_downstream_and_a_second_wait(story: tuple[dict[str, str], Path, str]) -> None:
    env, here, run_id = story
    (here / "input.txt").write_text("1")
    assert cli(env, "runs", "retry", run_id, "--wait").returncode == 0
    (here / "input.txt").write_text("2")
    done = cli(env, "tasks", "clear", run_id, "transform", "--downstream", "--wait", "--json")
    assert done.returncode == 0, done.stderr
    tasks = json.loads(done.stdout)["tasks"]
    assert tasks["transform"]["tries"] == 3 and tasks["load"]["tries"] == 2
    assert tasks["extract"]["tries"] == 1
    assert queries.show_run(load_settings(), run_id)["load"].result == 44


def test_clear_without_wait_leaves_the_run_for_a_scheduler(
        story: tuple[dict[str, str], Path, str]) -> None:
    env, _, run_id = story
    done = cli(env, "tasks", "clear", run_id, "load", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"run_id": run_id, "task_ids": ["load"], "state": "queued",
                                       "applied": True}
    shown = queries.show_run(load_settings(), run_id)
    assert shown.state == "queued" and shown["load"].state == "scheduled"
    assert "paused" not in done.stderr


def test_clearing_a_paused_dags_run_warns_that_it_waits(
        story: tuple[dict[str, str], Path, str]) -> None:
    env, _, run_id = story
    assert cli(env, "dags", "pause", "story").returncode == 0
    done = cli(env, "tasks", "clear", run_id, "load")
    assert done.returncode == 0, done.stderr
    assert "warning: story is paused" in done.stderr and "--wait" in done.stderr
    waited = cli(env, "tasks", "clear", run_id, "load", "--wait", "--json")
    assert waited.returncode == 1 and json.loads(waited.stdout)["state"] == "failed"
    assert "paused" not in waited.stderr                       # driven here: nothing waits


def test_mark_success_recomputes_the_run(story: tuple[dict[str, str], Path, str]) -> None:
    env, _, run_id = story
    done = cli(env, "tasks", "mark", run_id, "transform", "--state", "success", "--downstream")
    assert done.returncode == 0, done.stderr
    shown = queries.show_run(load_settings(), run_id)
    assert shown.state == "success"
    assert shown["transform"].state == shown["load"].state == "success"


def test_note_and_cancel_errors(story: tuple[dict[str, str], Path, str]) -> None:
    env, _, run_id = story
    assert cli(env, "runs", "note", run_id, "input arrives at 06:00").returncode == 0
    assert json.loads(cli(env, "runs", "show", run_id, "--json").stdout)["note"] == \
        "input arrives at 06:00"
    finished = cli(env, "runs", "cancel", run_id)
    assert finished.returncode == 2 and "already ended failed" in finished.stderr
    unknown = cli(env, "tasks", "clear", run_id, "nope")
    assert unknown.returncode == 2 and "no task 'nope'" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    bad_state = cli(env, "tasks", "mark", run_id, "load", "--state", "running")
    assert bad_state.returncode == 2 and "success, failed, skipped" in bad_state.stderr
    missing = cli(env, "runs", "retry", "no-such-run")
    assert missing.returncode == 2 and "no run" in missing.stderr
