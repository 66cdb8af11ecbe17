"""examples/purchase_orders.py end to end through the CLI: load, dead letters, fix, replay once,
and the drift gate holding shifted data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "purchase_orders.py"


def legato(*args: str, home: Path, warehouse: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LEGATO_HOME": str(home), "PO_WAREHOUSE_URL": warehouse}
    return subprocess.run([sys.executable, "-m", "legato.cli.main", *args], capture_output=True,
                          text=True, env=env, timeout=120)


def _loaded(url: str) -> list[str]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(sa.text("SELECT purchase_order_id FROM purchase_orders"))]
    engine.dispose()
    return ids


def test_purchase_orders_example(tmp_path: Path, legato_home: Path) -> None:
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    first = legato("run", str(EXAMPLE), "--date", "2024-03-01", "--json", home=legato_home,
                   warehouse=url)
    assert first.returncode == 0, first.stderr
    letters = json.loads(legato("dlq", "list", "--json", home=legato_home, warehouse=url).stdout)
    assert letters and all(x["dag_id"] == "purchase_orders" for x in letters)
    loaded = _loaded(url)
    assert len(loaded) + len(letters) == 2000

    letter = letters[0]
    fixed = dict(letter["record"], vendor_id="V-01")
    fixed["items"] = [dict(i, quantity=max(1, i["quantity"])) for i in fixed["items"]]
    fixed["total_amount"] = round(sum(i["quantity"] * i["unit_price"] for i in fixed["items"]), 2)
    path = tmp_path / "fixed.json"
    path.write_text(json.dumps(fixed))
    assert legato("dlq", "fix", str(letter["id"]), "--file", str(path), home=legato_home,
                  warehouse=url).returncode == 0
    for _ in range(2):
        done = legato("dlq", "replay", str(letter["id"]), home=legato_home, warehouse=url)
        assert done.returncode == 0, done.stdout + done.stderr
    after = _loaded(url)
    assert after.count(fixed["purchase_order_id"]) == 1 and len(after) == len(loaded) + 1

    drifted = legato("run", str(EXAMPLE), "--date", "2024-03-02", "--param", "drift=1", "--json",
                     home=legato_home, warehouse=url)
    doc = json.loads(drifted.stdout)
    assert drifted.returncode == 1 and doc["tasks"]["publish"]["state"] == "failed"
    assert "drifted" in doc["tasks"]["publish"]["error"]
    assert list((legato_home / "quarantine").rglob("*.jsonl"))
