"""The import hook: `airflow` names are served only inside `serving()`, never shadow a real
Airflow for other code, survive nesting and threads, and unsupported providers fail at load
with one line naming the replacement."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest

from legato.authoring.loader import load_file
from legato.compat.airflow import serving


@pytest.fixture
def fake_airflow(tmp_path, monkeypatch):
    """A stand-in for a real Airflow installation: an `airflow` package on sys.path."""
    pkg = tmp_path / "site" / "airflow"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("REAL = True\n")
    (pkg / "sdk.py").write_text("REAL_SDK = True\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    for name in [n for n in sys.modules if n == "airflow" or n.startswith("airflow.")]:
        monkeypatch.delitem(sys.modules, name)
    yield
    for name in [n for n in sys.modules if n == "airflow" or n.startswith("airflow.")]:
        del sys.modules[name]


def test_served_only_inside_the_block_and_real_airflow_comes_back(fake_airflow):
    import airflow

    assert airflow.REAL
    with serving():
        import airflow as served
        from airflow.sdk import DAG

        assert not hasattr(served, "REAL") and served.DAG is DAG
    import airflow.sdk as real_sdk

    assert sys.modules["airflow"] is airflow and real_sdk.REAL_SDK
    assert not hasattr(real_sdk, "DAG")


def test_nested_and_concurrent_blocks_keep_serving_until_the_last_ends(fake_airflow):
    errors: list[BaseException] = []
    inside = threading.Barrier(3)

    def worker() -> None:
        try:
            with serving():
                inside.wait(timeout=10)
                from airflow.exceptions import AirflowSkipException  # noqa: F401
                inside.wait(timeout=10)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    with serving():
        with serving():
            for t in threads:
                t.start()
            inside.wait(timeout=10)
        from airflow.sdk import task  # noqa: F401  (still served: the outer block is open)
        inside.wait(timeout=10)
    for t in threads:
        t.join(timeout=10)
    assert errors == []
    import airflow

    assert airflow.REAL


def test_outside_serving_airflow_is_not_importable_without_a_real_install():
    code = "import legato.authoring.loader\ntry:\n import airflow\nexcept ImportError: print('no')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "no"


def test_unnamed_dags_are_found_as_airflow_registers_them(tmp_path):
    path = tmp_path / "unnamed.py"
    path.write_text(textwrap.dedent("""
        from datetime import datetime
        from airflow.sdk import DAG, dag, task
        from airflow.providers.standard.operators.empty import EmptyOperator

        with DAG("with_block", start_date=datetime(2024, 1, 1)):
            EmptyOperator(task_id="a")

        @dag(start_date=datetime(2024, 1, 1))
        def decorated():
            EmptyOperator(task_id="b")

        decorated()
    """))
    loaded = load_file(path)
    assert loaded.errors == []
    assert sorted(d.dag_id for d in loaded.dags) == ["decorated", "with_block"]


@pytest.mark.parametrize(("line", "needle"), [
    ("from airflow.providers.google.cloud.operators.bigquery import BigQueryInsertJobOperator",
     ("BigQueryInsertJobOperator (airflow.providers.google.cloud.operators.bigquery) does not "
      "run on Legato: use legato.tasks.SqlTask")),
    ("from airflow.providers.slack.operators.slack_webhook import SlackWebhookOperator",
     "use legato.incidents.Slack"),
    ("from airflow.providers.amazon.aws.operators.s3 import S3CreateObjectOperator",
     "legato.io.storage"),
    ("import airflow.contrib.operators.nothing", "does not serve it"),
])
def test_unsupported_names_fail_at_load_with_the_replacement(tmp_path, line, needle):
    path = tmp_path / "cloud.py"
    path.write_text(line + "\n")
    loaded = load_file(path)
    assert loaded.dags == [] and len(loaded.errors) == 1
    error = str(loaded.errors[0])
    assert needle in error and "\n" not in error and error.startswith(f"{path}:1:")


def test_native_dags_never_import_the_served_tree_or_pendulum(tmp_path):
    path = tmp_path / "native.py"
    path.write_text("from legato import DAG, task\nwith DAG('native') as dag:\n"
                    "    @task\n    def a():\n        return 1\n    a()\n")
    code = textwrap.dedent(f"""
        import sys
        from legato.authoring.loader import load_file
        assert load_file({str(path)!r}).dags
        finder = ('registry', 'hook', 'tree')     # the finder itself: no implementation
        served = [m for m in sys.modules if m.startswith('legato.compat.airflow.') and
                  m.rsplit('.', 1)[1] not in finder]
        print(sorted(served), 'pendulum' in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[] False"
