"""An id no store can hold is a one-line usage error (exit 2), never a database traceback
(issue 10 item 18): SQLite overflows past 2**63 and PostgreSQL's integer ids end at 2**31 - 1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HUGE = "99999999999999999999999"


def legato(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LEGATO_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "legato.cli.main", *args], capture_output=True,
                          text=True, env=env, timeout=60)


@pytest.mark.parametrize("args", [
    ("dlq", "show", HUGE), ("incidents", "show", HUGE), ("quality", "show", HUGE),
    ("dlq", "discard", HUGE), ("dlq", "replay", HUGE), ("quality", "pin", "ds", "--report", HUGE),
    ("dlq", "show", str(2**31)),
])
def test_an_id_beyond_the_store_is_a_one_line_error(args: tuple[str, ...], legato_home: Path) -> None:
    done = legato(*args, home=legato_home)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: no ") and args[-1] in lines[0], lines


def test_an_ordinary_unknown_id_is_still_not_found(legato_home: Path) -> None:
    done = legato("incidents", "show", "12", home=legato_home)
    assert done.returncode == 2 and done.stderr.strip() == "error: no incident 12"
