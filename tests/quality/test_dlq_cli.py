"""`legato dlq ...` as an operator runs it: real subprocesses, JSON output, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from qhelpers import po, write_dag

ENTRY = {"id", "dag_id", "task_id", "run_id", "contract", "record", "errors", "status",
         "created_at"}


def legato(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LEGATO_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "legato.cli.main", *args], capture_output=True,
                          text=True, env=env, timeout=120)


def test_list_show_fix_discard_replay(tmp_path: Path, legato_home: Path) -> None:
    dag_file = write_dag(tmp_path, tmp_path / "w.db")
    assert legato("run", str(dag_file), home=legato_home).returncode == 0
    listed = legato("dlq", "list", "--json", "--dag", "po_ingest", home=legato_home)
    assert listed.returncode == 0, listed.stderr
    entries = json.loads(listed.stdout)
    assert len(entries) == 3 and all(set(e) >= ENTRY for e in entries)
    first, second, third = (e["id"] for e in entries)

    shown = legato("dlq", "show", str(first), home=legato_home)
    assert "$.items[0].quantity" in shown.stdout
    assert json.loads(legato("dlq", "show", str(first), "--json", home=legato_home).stdout)[
        "id"] == first

    fixed = tmp_path / "fixed.json"
    fixed.write_text(json.dumps(po(42)))
    assert legato("dlq", "fix", str(first), "--file", str(fixed), home=legato_home).returncode == 0
    assert legato("dlq", "discard", str(second), home=legato_home).returncode == 0

    replay = legato("dlq", "replay", str(first), str(second), "--json", home=legato_home)
    report = json.loads(replay.stdout)
    assert report["replayed"] == [first] and report["skipped"] == {str(second): "status is discarded"}
    assert replay.returncode == 0
    still = legato("dlq", "replay", str(third), home=legato_home)
    assert still.returncode == 1 and "still invalid" in still.stdout
    pending = json.loads(legato("dlq", "list", "--status", "pending", "--json",
                                home=legato_home).stdout)
    assert [e["id"] for e in pending] == [third]


def test_bad_input_exits_2(tmp_path: Path, legato_home: Path) -> None:
    assert legato("dlq", "show", "99", home=legato_home).returncode == 2
    assert legato("dlq", "list", "--status", "bogus", home=legato_home).returncode == 2
    assert legato("dlq", "replay", home=legato_home).returncode == 2
    missing = legato("dlq", "fix", "1", "--file", str(tmp_path / "nope.json"), home=legato_home)
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def test_replay_killed_9_between_delivery_and_marking_lands_once(tmp_path: Path,
                                                                 legato_home: Path) -> None:
    """A real kill: the destination SIGKILLs its own process right after its commit."""
    import sqlalchemy as sa

    dest = tmp_path / "w.db"
    dag_file = write_dag(tmp_path, dest)
    flag = tmp_path / "kill-after-delivery"
    source = dag_file.read_text().replace(
        'ORDERS_TABLE = SqlTable(',
        "import os, signal\n"
        "class KillingTable(SqlTable):\n"
        "    def deliver(self, items):\n"
        "        landed = super().deliver(items)\n"
        f"        if os.path.exists({str(flag)!r}):\n"
        "            os.kill(os.getpid(), signal.SIGKILL)\n"
        "        return landed\n"
        "ORDERS_TABLE = KillingTable(")
    dag_file.write_text(source)
    assert legato("run", str(dag_file), home=legato_home).returncode == 0
    entries = json.loads(legato("dlq", "list", "--json", home=legato_home).stdout)
    for e in entries:
        fixed = tmp_path / f"{e['id']}.json"
        fixed.write_text(json.dumps(po(300 + e["record_index"])))
        assert legato("dlq", "fix", str(e["id"]), "--file", str(fixed),
                      home=legato_home).returncode == 0
    flag.write_text("")
    killed = legato("dlq", "replay", "--all", home=legato_home)
    assert killed.returncode == -9
    states = {e["status"] for e in json.loads(legato("dlq", "list", "--json",
                                                     home=legato_home).stdout)}
    assert states == {"replaying"}
    flag.unlink()
    again = legato("dlq", "replay", "--all", "--json", home=legato_home)
    assert again.returncode == 0, again.stderr
    assert sorted(json.loads(again.stdout)["replayed"]) == sorted(e["id"] for e in entries)
    engine = sa.create_engine(f"sqlite:///{dest}")
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(sa.text("SELECT purchase_order_id FROM purchase_orders"))]
    engine.dispose()
    assert len(ids) == len(set(ids)) == 6
