"""Tasks read stored secrets through ctx.conn / ctx.var in thread and process workers, the
environment wins over the store, and what a task prints or raises reaches the log file and
the stored error with every known secret masked."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from legato.authoring.loader import load_file
from legato.authoring.variables import parse_connection
from legato.config import load_settings
from legato.security.secrets import SecretStore
from legato.services import queries

PASSWORD = "st0red-Pw-31b9"
EXECUTORS = ["local", "local:process"]


def _store() -> SecretStore:
    settings = load_settings()
    return SecretStore(settings.database_url, settings.home)


def _dag(tmp_path: Path, body: str, name: str = "secret_dag") -> object:
    path = tmp_path / f"{name}.py"
    path.write_text("from legato import DAG, task, mask_secret\n"
                    f"with DAG({name!r}) as dag:\n" + textwrap.indent(textwrap.dedent(body), "    "))
    loaded = load_file(path)
    assert not loaded.errors, loaded.errors
    return loaded.dags[0]


def _log(run_id: str, task_id: str) -> str:
    return queries.read_log(load_settings(), run_id, task_id).text


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_task_reads_a_stored_connection_and_variable(backend: str, tmp_path: Path,
                                                      executor: str) -> None:
    _store().add_connection(parse_connection("dw", f"postgresql://etl:{PASSWORD}@dw-host:5432/sales"))
    _store().set_variable("region", "eu-west-1")
    dag = _dag(tmp_path, """
        @task
        def read(ctx):
            c = ctx.conn("dw")
            return {"host": c.host, "login": c.login, "port": c.port,
                    "pw_ok": c.password == "PASSWORD", "region": ctx.var("region")}
        read()
    """.replace("PASSWORD", PASSWORD))
    result = dag.run(executor=executor)                      # type: ignore[attr-defined]
    assert result.state == "success", result["read"].error
    assert result["read"].result == {"host": "dw-host", "login": "etl", "port": 5432,
                                     "pw_ok": True, "region": "eu-west-1"}


def test_the_environment_wins_over_the_store(backend: str, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """An operator overrides a stored value for one deployment without touching the database."""
    _store().set_variable("region", "from-store")
    _store().add_connection(parse_connection("api", "https://u:p@stored.example.com"))
    dag = _dag(tmp_path, """
        @task
        def read(ctx):
            return [ctx.var("region"), ctx.conn("api").host, ctx.var("missing", "dflt")]
        read()
    """)
    monkeypatch.setenv("LEGATO_VAR_REGION", "from-env")
    monkeypatch.setenv("LEGATO_CONN_API", "https://u:p@env.example.com")
    assert dag.run(executor="inline")["read"].result == ["from-env", "env.example.com", "dflt"]  # type: ignore[attr-defined]
    monkeypatch.delenv("LEGATO_VAR_REGION")
    monkeypatch.delenv("LEGATO_CONN_API")
    assert dag.run(executor="inline")["read"].result == ["from-store", "stored.example.com", "dflt"]  # type: ignore[attr-defined]


def test_a_missing_name_says_both_places_were_asked(tmp_path: Path) -> None:
    dag = _dag(tmp_path, """
        @task
        def read(ctx):
            return ctx.conn("nowhere")
        read()
    """)
    result = dag.run(executor="inline")                      # type: ignore[attr-defined]
    assert result.state == "failed"
    assert "LEGATO_CONN_NOWHERE" in result["read"].error and "nor in the store" in result["read"].error


@pytest.mark.parametrize("executor", EXECUTORS)
def test_secrets_are_masked_in_the_log_file_and_the_stored_error(
        backend: str, tmp_path: Path, executor: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _store().add_connection(parse_connection("dw", f"postgresql://etl:{PASSWORD}@dw-host/sales"))
    _store().set_variable("crm_api_token", "crm-tok-77c2e1")
    monkeypatch.setenv("LEGATO_CONN_BILLING", "https://svc:env-Pw-5d0a@billing.example.com")
    dag = _dag(tmp_path, """
        @task(retries=0)
        def leak(ctx):
            pw = ctx.conn("dw").password
            mask_secret("task-own-secret-8f21")
            print("connecting with", pw, "and", ctx.var("crm_api_token"))
            ctx.log.info("billing password is env-Pw-5d0a, own secret task-own-secret-8f21")
            raise RuntimeError(f"login refused for password {pw}")
        leak()
    """)
    result = dag.run(executor=executor)                      # type: ignore[attr-defined]
    error = result["leak"].error
    assert result.state == "failed" and error == "login refused for password ***"
    stored = queries.show_run(load_settings(), result.run_id)["leak"].error
    assert stored == "login refused for password ***"
    text = _log(result.run_id, "leak")
    if executor == "local":           # process workers do not capture prints (yet)
        assert "connecting with *** and ***" in text
    assert "billing password is ***, own secret ***" in text
    assert "login refused for password ***" in text                  # the traceback too
    for secret in (PASSWORD, "crm-tok-77c2e1", "env-Pw-5d0a", "task-own-secret-8f21"):
        assert secret not in text and secret not in error


def test_a_value_that_is_not_secret_is_left_readable(tmp_path: Path) -> None:
    _store().set_variable("region", "eu-west-1")                     # not a sensitive name
    dag = _dag(tmp_path, """
        @task
        def show(ctx):
            print("region is", ctx.var("region"))
        show()
    """)
    result = dag.run(executor="local")                       # type: ignore[attr-defined]
    assert "region is eu-west-1" in _log(result.run_id, "show")
