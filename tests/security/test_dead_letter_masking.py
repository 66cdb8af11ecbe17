"""Secrets in dead letters are masked wherever letters are shown (issue 10 item 12): a record
and its reasons can carry a password a task read, and viewers see letters. The API, the CLI
and the services (which the UI uses) mask them; the store keeps the raw record for replay."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from legato.authoring.loader import load_file
from legato.authoring.variables import Connection
from legato.config import load_settings
from legato.security import masking
from legato.security.secrets import SecretStore
from legato.services import dead_letters
from legato.store import dead_letters as letter_store
from legato.store.db import open_engine
from server_harness import serving

CANARY = "dlq-canary-4b1e9f"
DAG = """
from legato import DAG, task
from legato.quality import Contract, validate

ORDER = Contract({"type": "object", "properties": {"qty": {"type": "integer"}},
                  "required": ["qty"]}, name="order")

with DAG("leaky_letters") as dag:
    @task
    def load(ctx):
        secret = ctx.conn("vendor").password
        rows = [{"qty": 1}, {"qty": secret, "note": "key=" + secret}]
        return len(validate(rows, ORDER, max_reject_ratio=1.0))

    load()
"""


def _letter_with_a_secret(tmp_path: Path) -> int:
    settings = load_settings()
    SecretStore(settings.database_url, settings.home).add_connection(
        Connection("vendor", "https", host="api.example", password=CANARY))
    dag_file = tmp_path / "leaky_letters.py"
    dag_file.write_text(DAG)
    (dag,) = load_file(dag_file).dags
    assert dag.run().state == "success"
    masking.forget_all()               # as in a server or CLI process that never ran the task
    with open_engine(settings.database_url).connect() as conn:
        (raw,) = letter_store.query(conn)
    assert raw.record["qty"] == CANARY and CANARY in json.dumps(raw.errors)   # stored raw
    return raw.id


def test_services_mask_the_record_and_the_reasons(tmp_path: Path) -> None:
    letter_id = _letter_with_a_secret(tmp_path)
    settings = load_settings()
    for letter in (dead_letters.show(settings, letter_id), *dead_letters.list_letters(settings)):
        shown = json.dumps(letter.to_json())
        assert CANARY not in shown
        assert letter.record == {"qty": "***", "note": "key=***"}
        assert "***" in letter.errors[0]["message"]
    with open_engine(settings.database_url).connect() as conn:
        assert letter_store.get(conn, letter_id).record["qty"] == CANARY   # replay sees this


def test_the_cli_and_the_api_show_no_secret(tmp_path: Path, legato_home: Path) -> None:
    letter_id = _letter_with_a_secret(tmp_path)
    env = {**os.environ, "LEGATO_HOME": str(legato_home)}
    for args in (["dlq", "show", str(letter_id)], ["dlq", "show", str(letter_id), "--json"],
                 ["dlq", "list", "--json"]):
        done = subprocess.run([sys.executable, "-m", "legato.cli.main", *args], env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert CANARY not in done.stdout and "***" in done.stdout, args
    masking.forget_all()
    with serving(tmp_path) as start:
        live = start()
        with live.client("viewer") as c:
            for path in (f"/dlq/{letter_id}", "/dlq"):
                r = c.get(path)
                assert r.status_code == 200 and CANARY not in r.text and "***" in r.text
