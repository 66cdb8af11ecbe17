"""`legato demo --all | NAME | --list`: the gallery against the stand-ins in a store of its
own. `--all` runs as a real process (the acceptance: exit 0, stdout one JSON document; its
two-minute budget is measured by benchmarks/demo.py, not here), with the user's store and
sinks in its environment left alone; one example in process through the CLI (its summary,
and the environment restored); bad arguments; an example that does not behave makes the
exit code 1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from legato.cli.main import app
from legato.demo import gallery_run
from legato.demo.gallery import GALLERY, Example

from .conftest import EXAMPLES

HANG_S = 600.0          # a guard against a hang, not a speed target (benchmarks/demo.py)


@pytest.mark.e2e
def test_demo_all_behaves_as_designed(tmp_path: Path) -> None:
    users_db = tmp_path / "users-store.db"
    env = {**os.environ, "LEGATO_DATABASE_URL": f"sqlite:///{users_db}",
           "LEGATO_INCIDENTS": "http://127.0.0.1:9/never-called",
           "LEGATO_DAGS_PAUSED_AT_CREATION": "false"}          # the demo starts DAGs paused anyway
    done = subprocess.run([sys.executable, "-m", "legato.cli.main", "demo", "--all", "--json",
                           "--home", str(tmp_path / "gallery")], capture_output=True, text=True,
                          env=env, timeout=HANG_S, cwd=EXAMPLES.parent)
    assert done.returncode == 0, done.stderr + done.stdout[-3000:]
    report = json.loads(done.stdout)
    assert report["ok"] and len(report["results"]) == len(GALLERY)
    failed = [(r["name"], c["expected"]) for r in report["results"] for c in r["checks"]
              if not c["held"]]
    assert failed == []
    s = report["summary"]
    assert s["tickets"]["opened"] >= 8 and s["tickets"]["resolved"] >= 2
    assert {"High", "Highest", "Medium"} <= {t["priority"] for t in s["tickets"]["items"]}
    assert s["dead_letters"]["po_validation"] == {"replayed": 1}
    assert {d["dataset"] for d in s["drift"]} == {"supply_chain.purchase_orders_daily",
                                                  "procurement.purchase_orders"}
    assert s["rows"]["fact_purchase_spend"] > 0 and s["rows"]["enriched_logs"] == 480
    assert s["stand_ins"]["rate_limited_429"] >= 1 and s["stand_ins"]["chat_messages"] == 2
    assert s["lineage"]["edges"] and s["runs"]["ddos_response_playbook"] == {"success": 1}
    assert not users_db.exists()                          # the user's store was never touched
    assert (tmp_path / "gallery" / "legato.db").exists()


def test_one_example_in_process_prints_its_summary_and_restores_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLES.parent)
    before = dict(os.environ)
    result = CliRunner().invoke(app, ["demo", "helpdesk_ticket_monitor", "--home",
                                      str(tmp_path / "g")], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for expected in ("helpdesk_ticket_monitor", "1 of 1 example(s) behaved as designed",
                     "helpdesk tickets: 1 opened", "rows landed in the warehouse",
                     f"export LEGATO_HOME={tmp_path / 'g'}"):
        assert expected in result.output
    assert dict(os.environ) == before
    assert (tmp_path / "g" / "demo-output.log").exists()


def test_list_names_every_example_file() -> None:
    result = CliRunner().invoke(app, ["demo", "--list", "--json"])
    assert result.exit_code == 0
    names = {e["name"] for e in json.loads(result.output)}
    assert names == {p.stem for p in EXAMPLES.glob("*.py")}         # a new example is listed


@pytest.mark.parametrize(("args", "message"), [
    (["demo", "nope"], "no example 'nope' in the gallery"),
    (["demo", "hello", "--home", str(EXAMPLES)], "is not empty: the gallery's checks expect"),
    (["demo", "hello", "--all"], "NAME or --all, not both"),
    (["demo", "hello", "--examples", "/nonexistent"], "the example gallery is not in /nonexistent"),
])
def test_bad_arguments_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output


def test_an_example_that_does_not_behave_fails_the_demo(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(world: object) -> list:
        raise RuntimeError("the stand-in is gone")

    bad = Example("hello", "-", "-", "trigger", ("hello",))
    monkeypatch.setattr(Example, "scenario", property(lambda self: broken))
    result = gallery_run.run_one(_FakeWorld(), bad)
    assert not result.ok and result.error == "RuntimeError: the stand-in is gone"
    monkeypatch.setattr(gallery_run, "run_gallery", lambda *a, **k: gallery_run.GalleryReport(
        tmp_path, EXAMPLES, results=[result], summary={}))
    cli = CliRunner().invoke(app, ["demo", "hello", "--json", "--home", str(tmp_path)])
    assert cli.exit_code == 1 and json.loads(cli.output)["ok"] is False


class _FakeWorld:
    class driver:      # stands in for the Driver: the one method run_one reads
        @staticmethod
        def runs_of(dag_id: str) -> list:
            return []


def test_without_duckdb_the_gallery_names_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import legato.extras as extras

    real = extras.require

    def missing(module: str, what: str | None = None):
        if module == "duckdb":
            raise extras.explain(ModuleNotFoundError("No module named 'duckdb'", name="duckdb"), what)
        return real(module, what)

    monkeypatch.setattr(extras, "require", missing)
    result = CliRunner().invoke(app, ["demo", "hello"])
    assert result.exit_code == 1 and "pip install 'legato[duckdb]'" in result.output
    assert "Traceback" not in result.output
