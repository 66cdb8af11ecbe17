"""`legato quality reports|show|pin` in real subprocesses."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from legato.quality import DataQualityError, drift_gate


def legato(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LEGATO_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "legato.cli.main", *args], capture_output=True,
                          text=True, env=env, timeout=120)


def rows(seed: int, mean: float) -> list[dict]:
    rng = random.Random(seed)
    return [{"amount": rng.gauss(mean, 1), "region": rng.choice("abc")} for _ in range(1000)]


def test_reports_show_and_pin_a_held_report(legato_home: Path, tmp_path: Path) -> None:
    drift_gate(rows(1, 0), dataset="sales")
    with pytest.raises(DataQualityError):
        drift_gate(rows(2, 1), dataset="sales")
    listed = legato("quality", "reports", "--dataset", "sales", "--json", home=legato_home)
    assert listed.returncode == 0, listed.stderr
    held, baseline = json.loads(listed.stdout)
    assert (held["status"], baseline["status"]) == ("held", "baseline")
    shown = legato("quality", "show", str(held["id"]), home=legato_home)
    assert "amount" in shown.stdout and "quarantined at" in shown.stdout

    # the shift was real: accept what the held report saw as the new reference
    assert legato("quality", "pin", "sales", "--report", str(held["id"]),
                  home=legato_home).returncode == 0
    assert drift_gate(rows(3, 1), dataset="sales")
    with pytest.raises(DataQualityError):
        drift_gate(rows(4, 0), dataset="sales")

    # or pin from data, e.g. a quarantine file (JSON lines)
    pinned = legato("quality", "pin", "sales", "--file", held["quarantine_path"], home=legato_home)
    assert pinned.returncode == 0 and "1000 rows" in pinned.stdout


def test_bad_input_exits_2(legato_home: Path, tmp_path: Path) -> None:
    assert legato("quality", "show", "5", home=legato_home).returncode == 2
    assert legato("quality", "reports", "--status", "odd", home=legato_home).returncode == 2
    assert legato("quality", "pin", "sales", home=legato_home).returncode == 2
    assert legato("quality", "pin", "sales", "--report", "9", home=legato_home).returncode == 2
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    assert legato("quality", "pin", "sales", "--file", str(bad), home=legato_home).returncode == 2
