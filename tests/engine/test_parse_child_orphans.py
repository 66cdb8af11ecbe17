"""A DAG file's parse child dies with the process that started it: a file that loops for
ever at import must not keep spinning after the scheduler, server or CLI waiting for it is
killed (found auditing issue 10: such children were left running)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from waiting import eventually

PARENT = """
import sys
from pathlib import Path
from legato.engine.dagprocessor import parse_files
parse_files([Path(sys.argv[1])], timeout_s=300)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "State:\tZ" in status.read_text())


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_looping_file_s_parse_child_dies_with_its_killed_parent(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    dag_file = tmp_path / "spins.py"
    dag_file.write_text(textwrap.dedent(f"""
        import os
        from pathlib import Path
        Path({str(pid_file)!r}).write_text(str(os.getpid()))
        while True:
            pass
    """))
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(dag_file)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        child = int(eventually(lambda: pid_file.exists() and pid_file.read_text(),
                               timeout_s=30, what="the parse child to start", alive=[parent]))
        assert _alive(child)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        eventually(lambda: not _alive(child), timeout_s=10,
                   what="the orphaned parse child to exit")
    finally:
        if parent.poll() is None:
            parent.kill()
        if pid_file.exists() and _alive(int(pid_file.read_text() or 0)):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)
