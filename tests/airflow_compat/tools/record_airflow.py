"""Record what REAL Airflow does with the corpus: run with Airflow's own Python.

    /tmp/peers/airflow/bin/python tests/airflow_compat/tools/record_airflow.py \
        tests/airflow_compat/dags tests/airflow_compat/dags/expected.json [FILE ...]

For every DAG in every file, runs `airflow dags test -f FILE DAG_ID DATE` in a fresh
AIRFLOW_HOME (sqlite), then reads the final run state and each task instance's state (per
map index) from Airflow's metadata database. The JSON it writes is what the Legato tests
compare with; they never need Airflow installed. Not part of the test run.
"""
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

DATE = "2024-01-03T00:00:00+00:00"
BIN = Path(sys.executable).parent


def dag_ids(path: Path) -> list[str]:
    """DAG ids named in the file's header comment `# dags: a, b` (else the file stem)."""
    head = path.read_text().splitlines()[:5]
    for line in head:
        m = re.match(r"#\s*dags:\s*(.+)", line)
        if m:
            return [d.strip() for d in m.group(1).split(",")]
    return [path.stem]


def run_one(path: Path, dag_id: str, home: Path, date: str) -> dict:
    env = {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
           "AIRFLOW__CORE__DAGS_FOLDER": str(path.parent),
           "PATH": f"{BIN}:{os.environ['PATH']}"}
    if not (home / "airflow.db").exists():
        subprocess.run([str(BIN / "airflow"), "db", "migrate"], env=env, check=True,
                       capture_output=True)
    done = subprocess.run([str(BIN / "airflow"), "dags", "test", "-f", str(path), dag_id, date],
                          env=env, capture_output=True, text=True, timeout=900)
    con = sqlite3.connect(home / "airflow.db")
    run = con.execute("select run_id, state from dag_run where dag_id=? order by id desc limit 1",
                      (dag_id,)).fetchone()
    if run is None:
        return {"error": (done.stdout + done.stderr)[-2000:]}
    tis = con.execute("select task_id, map_index, state from task_instance where dag_id=? and "
                      "run_id=? order by task_id, map_index", (dag_id, run[0])).fetchall()
    tasks: dict = {}
    for task_id, map_index, state in tis:
        key = task_id if map_index < 0 else f"{task_id}[{map_index}]"
        tasks[key] = state
    return {"state": run[1], "tasks": tasks}


def main() -> int:
    sys.path.insert(0, str(Path(__file__).parent))
    import http_stub

    server, url = http_stub.start()
    os.environ["AIRFLOW_CONN_HTTP_DEFAULT"] = url
    folder, out = Path(sys.argv[1]), Path(sys.argv[2])
    files = [Path(f) for f in sys.argv[3:]] or sorted(folder.glob("*.py"))
    expected = json.loads(out.read_text()) if out.exists() else {}
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            for dag_id in dag_ids(path):
                result = run_one(path.resolve(), dag_id, Path(tmp), DATE)
                result["file"] = path.name
                expected[dag_id] = result
                print(dag_id, result.get("state"), result.get("error", "")[-300:], flush=True)
    out.write_text(json.dumps(dict(sorted(expected.items())), indent=1, sort_keys=True) + "\n")
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
