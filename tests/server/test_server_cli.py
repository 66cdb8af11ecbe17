"""`legato tokens create` and the loopback guard of `legato server`, as real subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from legato.config import load_settings
from legato.security import authenticate


def legato(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LEGATO_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "legato.cli.main", *args], capture_output=True,
                          text=True, env=env, timeout=60)


def test_server_refuses_a_public_host_without_tokens(legato_home: Path) -> None:
    done = legato("server", "--host", "0.0.0.0", "--port", "0", home=legato_home)
    assert done.returncode == 2
    assert "no API token" in done.stderr


def test_tokens_create_prints_a_token_that_authenticates(legato_home: Path) -> None:
    done = legato("tokens", "create", "--role", "operator", "--name", "ci", home=legato_home)
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert token and "\n" not in token
    assert authenticate(load_settings(), f"Bearer {token}").role == "operator"
    bad = legato("tokens", "create", "--role", "root", home=legato_home)
    assert bad.returncode == 2 and "role" in bad.stderr
