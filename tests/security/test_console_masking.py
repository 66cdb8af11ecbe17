"""A secret a task prints is masked on the terminal too, not only in its try log (issue 10
item 6): the stdout/stderr of `legato run` is what journald and `docker logs` keep. Through a
real `legato run` process, with a stored (encrypted) connection, a `LEGATO_CONN_*` password and
a sensitive `LEGATO_VAR_*`, printed whole, split over several writes, to stderr, and as an
unfinished last line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from legato.authoring.variables import Connection
from legato.config import load_settings
from legato.security.secrets import SecretStore
from legato.services import queries

STORED = "stored-canary-7f3a9c"
FROM_ENV = "env-canary-91bc2d"
VARIABLE = "var-canary-55d0e1"

DAG = """
import sys
from legato import DAG, task

with DAG("leaky") as dag:
    @task
    def leak(ctx):
        stored = ctx.conn("warehouse").password
        print("stored password:", stored)
        env_pw = ctx.conn("envdb").password
        sys.stdout.write("split " + env_pw[:5])
        sys.stdout.write(env_pw[5:] + " end\\n")
        print("token", ctx.var("api_token"), file=sys.stderr)
        print("tail", stored, end="")
        return 1

    leak()
"""


@pytest.mark.e2e
def test_printed_secrets_are_masked_on_the_console_and_in_the_log(tmp_path: Path,
                                                                  legato_home: Path) -> None:
    settings = load_settings()
    SecretStore(settings.database_url, settings.home).add_connection(
        Connection("warehouse", "postgresql", host="db", login="etl", password=STORED))
    dag_file = tmp_path / "leaky.py"
    dag_file.write_text(DAG)
    env = {**os.environ, "LEGATO_HOME": str(legato_home),
           "LEGATO_CONN_ENVDB": f"postgresql://etl:{FROM_ENV}@db/x",
           "LEGATO_VAR_API_TOKEN": VARIABLE, "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", "legato.cli.main", "run", str(dag_file)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    console = done.stdout + done.stderr
    for canary in (STORED, FROM_ENV, VARIABLE):
        assert canary not in console, f"{canary} reached the console:\n{console}"
    assert "stored password: ***" in console and "split *** end" in console
    assert "token ***" in done.stderr and "tail ***" in console
    (run,) = queries.list_runs(load_settings(), None, 10)
    text = queries.read_log(load_settings(), run.run_id, "leak", 1).text
    assert "stored password: ***" in text and not any(
        c in text for c in (STORED, FROM_ENV, VARIABLE))
