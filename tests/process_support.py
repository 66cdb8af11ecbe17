"""What tests that drive the `legato` CLI as a process share: DAG files written into a folder,
the CLI run or started with an environment of its own, a free loopback port for a server, and
a log tail for failure messages."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

CLI = [sys.executable, "-m", "legato.cli.main"]


def write_dag(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(body))
    return path


def cli(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=timeout)


def cli_json(env: dict[str, str], *args: str) -> object:
    done = cli(env, *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def start(env: dict[str, str], *args: str, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([*CLI, *args], env=env, stdout=log.open("ab"),
                            stderr=subprocess.STDOUT)


def log_tail(log: Path) -> Callable[[], str]:
    """For `eventually(explain=...)`: the end of a process's log."""
    return lambda: log.read_text(errors="replace")[-3000:] if log.exists() else ""


def base_env(home: Path, dags: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "LEGATO_HOME": str(home), "LEGATO_DAGS": str(dags), **extra}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
