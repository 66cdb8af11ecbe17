"""`legato run` enters through its own parser, not the typer app: the same options, the same
exit codes, none of the app's imports, and a plain summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from legato.cli.app import app
from legato.cli.run_cmd import run_parser

PROBE = '''
import sys
from legato import DAG, task

with DAG("probe", start_date="2024-01-01", schedule=None) as dag:
    @task
    def loaded() -> list:
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("typer", "pydantic", "rich"))
        if heavy:
            raise RuntimeError(f"imported {heavy}")
        return heavy

    @task
    def boom(_: list) -> None:
        raise RuntimeError("first line\\nsecond line")

    boom(loaded())
'''


def legato(*args: str, home: Path, env: dict[str, str] | None = None
           ) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "LEGATO_HOME": str(home), **(env or {})}
    return subprocess.run([sys.executable, "-m", "legato.cli.main", *args], capture_output=True,
                          text=True, env=full_env, timeout=120)


def option_strings(parser_actions: list[list[str]]) -> set[str]:
    return {opt for opts in parser_actions for opt in opts if opt.startswith("--")}


def test_the_fast_parser_declares_exactly_the_typer_commands_options() -> None:
    command = typer.main.get_command(app).commands["run"]          # type: ignore[attr-defined]
    typer_opts = option_strings([p.opts for p in command.params]) - {"--help"}
    fast = run_parser()
    fast_opts = option_strings([a.option_strings for a in fast._actions])
    assert fast_opts == typer_opts
    typer_args = [p.name for p in command.params if not p.opts[0].startswith("-")]
    fast_args = [a.dest for a in fast._actions if not a.option_strings]
    assert fast_args == typer_args == ["path"]


def test_run_imports_neither_typer_pydantic_nor_rich(tmp_path: Path, legato_home: Path) -> None:
    dag_file = tmp_path / "probe.py"
    dag_file.write_text(PROBE)
    done = legato("run", str(dag_file), "--json", "--retries", "0", home=legato_home)
    assert done.returncode == 1, done.stderr                       # boom failed, as designed
    doc = json.loads(done.stdout)
    assert doc["tasks"]["loaded"]["state"] == "success", doc["tasks"]["loaded"]["error"]
    assert doc["tasks"]["boom"]["tries"] == 1                      # --retries 0 reached the run


@pytest.mark.parametrize(("args", "message"), [
    (["--retries", "-1"], "--retries: -1 is below the minimum of 0"),
    (["--retries", "two"], "--retries: 'two' is not a whole number"),
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["--param", "novalue"], "--param needs key=value"),
])
def test_bad_arguments_exit_2_with_one_line(args: list[str], message: str,
                                            legato_home: Path) -> None:
    hello = Path(__file__).resolve().parents[2] / "examples" / "hello.py"
    done = legato("run", str(hello), *args, home=legato_home)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_missing_path_and_help_go_where_users_expect(legato_home: Path) -> None:
    missing = legato("run", home=legato_home)
    assert missing.returncode == 2 and "required: path" in missing.stderr
    helped = legato("run", "--help", home=legato_home)              # the typer app's help
    assert helped.returncode == 0 and "--executor" in helped.stdout and "--retries" in helped.stdout


def test_summary_is_plain_text_with_the_first_line_of_each_error(tmp_path: Path,
                                                                  legato_home: Path) -> None:
    dag_file = tmp_path / "probe.py"
    dag_file.write_text(PROBE)
    done = legato("run", str(dag_file), "--retries", "0", home=legato_home)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[-1] == "run failed"
    rows = {line.split()[0]: line.split() for line in lines if line.split()[:1] in (["loaded"],
                                                                                   ["boom"])}
    assert rows["loaded"][1] == "success" and rows["boom"][1] == "failed"
    assert "first line" in done.stdout and "second line" not in done.stdout
    assert "\x1b[" not in done.stdout and "│" not in done.stdout    # not a terminal: no colour


GC_PROBE = '''
import gc
from legato import DAG, task

with DAG("gc_probe", start_date="2024-01-01", schedule=None) as dag:
    @task
    def collector_is_on() -> None:
        if not gc.isenabled():
            raise RuntimeError("tasks run with the garbage collector off")
        made = []
        made.append(made)               # a cycle only the collector frees
        del made
        if gc.collect() < 1:
            raise RuntimeError("the cycle was not collected")

    collector_is_on()
'''


def test_tasks_run_with_the_collector_on_after_the_quiet_start_up(
        tmp_path: Path, legato_home: Path) -> None:
    """`legato run` starts with the collector off (main) and must switch it back on before
    the tasks run (run_cmd.settle_heap), or a long run's cyclic garbage would never be freed."""
    dag_file = tmp_path / "gc_probe.py"
    dag_file.write_text(GC_PROBE)
    done = legato("run", str(dag_file), home=legato_home)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "run success" in done.stdout
