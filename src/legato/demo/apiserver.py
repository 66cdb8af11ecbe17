"""`legato server` in a child process, on the demo's store and a free loopback port, so the
DDoS stand-in can POST its signed alert to Legato's real webhook route (`legato.demo` may not
import the server: it starts the command, as a user would). Started early and in the
background: by the time the webhook scenario runs, the server is up."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ApiServer:
    def __init__(self, home: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = home / "legato-server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ApiServer:
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "legato.cli.main", "server", "--port", str(self.port)],
                stdout=out, stderr=subprocess.STDOUT, env=dict(os.environ),
                start_new_session=True)
        return self

    def wait_ready(self, timeout_s: float = 30.0) -> None:
        import httpx

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"legato server exited ({self.proc.returncode}); see {self.log}")
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"legato server did not answer within {timeout_s:g}s; see {self.log}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
