"""What follows an operator's action (issue 12): a cleared task that now succeeds resolves its
open incident, writes its dataset update again and is reported to OpenLineage as a new try; a
task marked success resolves its incident but produced nothing; `--upstream` and
`--only-failed` choose what a clear names; a mapped task is cleared with all its instances,
and re-expanded from a cleared upstream's new list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from legato import DAG, task
from legato.config import load_settings
from legato.services import incidents, lineage, queries, run_ops
from legato.services.run_once import drive_queued
from process_support import base_env, cli, write_dag

URI = "file:///warehouse/follow/out.csv"
FOLLOW = """
    from pathlib import Path
    from legato import DAG, Dataset, task
    HERE = Path({here!r})

    with DAG("follow", schedule=None) as dag:
        @task
        def extract():
            return 1

        @task(outlets=[Dataset({uri!r})])
        def produce(x):
            return x + int((HERE / "input.txt").read_text())

        @task
        def report(y):
            return y

        report(produce(extract()))
"""


@pytest.fixture()
def failed(tmp_path: Path, legato_home: Path,
           monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, str], Path, str]:
    """A run of `follow` whose `produce` failed (its input missing): one open incident."""
    monkeypatch.setenv("LEGATO_OPENLINEAGE", f"file:{tmp_path / 'ol.jsonl'}")
    path = write_dag(tmp_path / "dags", "follow", FOLLOW.format(here=str(tmp_path), uri=URI))
    env = base_env(legato_home, tmp_path / "dags")
    done = cli(env, "run", str(path), "--json")
    assert done.returncode == 1, done.stderr
    (inc,) = incidents.list_incidents(load_settings())
    assert (inc.state, inc.task_id) == ("open", "produce")
    return env, tmp_path, json.loads(done.stdout)["run_id"]


def _lineage(here: Path) -> list[tuple[str, str]]:
    lines = (here / "ol.jsonl").read_text().splitlines()
    return [(e["job"]["name"].split(".")[-1], e["eventType"]) for e in map(json.loads, lines)
            if "." in e["job"]["name"]]


def _updates(run_id: str) -> list[int]:
    shown = lineage.show_dataset(load_settings(), URI)
    return [u.extra["try_number"] for u in reversed(shown.updates) if u.run_id == run_id]


def test_a_retry_that_succeeds_resolves_the_incident_and_writes_the_dataset_again(
        failed: tuple[dict[str, str], Path, str]) -> None:
    env, here, run_id = failed
    (here / "input.txt").write_text("1")
    done = cli(env, "runs", "retry", run_id, "--wait", "--json")
    assert done.returncode == 0, done.stderr
    (inc,) = incidents.list_incidents(load_settings())
    assert inc.state == "resolved" and inc.resolved_at is not None
    assert _updates(run_id) == [2]                          # the successful try 2 wrote it
    assert _lineage(here) == [("extract", "START"), ("extract", "COMPLETE"),
                              ("produce", "START"), ("produce", "FAIL"),      # the first run
                              ("produce", "START"), ("produce", "COMPLETE"),  # the new tries
                              ("report", "START"), ("report", "COMPLETE")]
    again = cli(env, "tasks", "clear", run_id, "produce", "--wait", "--json")
    assert again.returncode == 0, again.stderr
    assert _updates(run_id) == [2, 3]                       # a re-run writes its update again


def test_mark_success_resolves_the_incident_and_produces_nothing(
        failed: tuple[dict[str, str], Path, str]) -> None:
    env, _, run_id = failed
    done = cli(env, "tasks", "mark", run_id, "produce", "--state", "success", "--downstream")
    assert done.returncode == 0, done.stderr
    (inc,) = incidents.list_incidents(load_settings())
    assert inc.state == "resolved"
    assert queries.show_run(load_settings(), run_id).state == "success"
    assert _updates(run_id) == []                           # nothing was produced


def test_upstream_and_only_failed_choose_what_a_clear_names(
        failed: tuple[dict[str, str], Path, str]) -> None:
    env, _, run_id = failed

    def planned(*args: str) -> list[str]:
        done = cli(env, "tasks", "clear", run_id, *args, "--dry-run")
        assert done.returncode == 0, done.stderr
        return list(json.loads(done.stdout)["task_ids"])

    assert planned("produce") == ["produce"]
    assert planned("produce", "--upstream") == ["extract", "produce"]
    assert planned("produce", "--downstream") == ["produce", "report"]
    assert planned("report", "--upstream", "--only-failed") == ["produce", "report"]
    assert planned("extract", "--only-failed") == []
    assert queries.show_run(load_settings(), run_id).state == "failed"      # nothing changed


def _mapped(here: Path) -> DAG:
    with DAG("mapped_ops", schedule=None) as dag:
        @task
        def items() -> list[int]:
            return [int(x) for x in (here / "items.txt").read_text().split()]

        @task
        def double(x: int) -> int:
            return x * 2

        @task
        def total(xs: list[int]) -> int:
            return sum(xs)

        total(double.expand(x=items()))
    return dag


def _instances(run_id: str, task_id: str) -> dict[int, tuple[str, int]]:
    from legato.store import tries
    from legato.store.db import open_engine

    with open_engine(load_settings().database_url).connect() as conn:
        return {r.map_index: (r.state, r.try_number) for r in tries.instances_of_run(conn, run_id)
                if r.task_id == task_id}


def test_a_mapped_task_is_cleared_whole_and_re_expanded_from_a_cleared_upstream(
        tmp_path: Path) -> None:
    (tmp_path / "items.txt").write_text("1 2 3")
    run_id = _mapped(tmp_path).run().run_id
    assert run_ops.clear(load_settings(), run_id, ["double"], dry_run=True).task_ids == ["double"]
    run_ops.clear(load_settings(), run_id, ["double"])
    assert _instances(run_id, "double") == {0: ("scheduled", 1), 1: ("scheduled", 1),
                                            2: ("scheduled", 1)}
    result = drive_queued(load_settings(), run_id)
    assert result is not None and result.state == "success"
    assert _instances(run_id, "double") == dict.fromkeys(range(3), ("success", 2))
    (tmp_path / "items.txt").write_text("1 2 3 4")
    run_ops.clear(load_settings(), run_id, ["items"], downstream=True)
    assert _instances(run_id, "double") == {-1: ("scheduled", 2)}   # one, to expand again
    result = drive_queued(load_settings(), run_id)
    assert result is not None and result.state == "success"
    assert _instances(run_id, "double") == dict.fromkeys(range(4), ("success", 3))
    assert queries.show_run(load_settings(), run_id)["total"].result == 20
