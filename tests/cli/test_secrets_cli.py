"""`legato connections|variables|secrets ...` in process (typer's runner), on both stores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from legato.cli.main import app

PASSWORD = "cli-Pw-0a9c4e"


@pytest.fixture(autouse=True)
def _own_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEGATO_SECRET_KEY", raising=False)


def cli(*args: str, stdin: str | None = None) -> object:
    return CliRunner().invoke(app, list(args), input=stdin)


def test_connection_add_list_show_delete(backend: str) -> None:
    added = cli("connections", "add", "dw", "--uri", "postgresql://etl@dw-host:5432/sales?sslmode=require",
                "--password-stdin", stdin=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    assert "warning" not in added.stderr
    listed = cli("connections", "list", "--json")
    assert listed.exit_code == 0 and PASSWORD not in listed.stdout
    [doc] = json.loads(listed.stdout)
    assert (doc["conn_id"], doc["host"], doc["port"], doc["login"], doc["password"]) == (
        "dw", "dw-host", 5432, "etl", "***")
    shown = cli("connections", "show", "dw")
    assert shown.exit_code == 0 and "***" in shown.stdout and PASSWORD not in shown.stdout
    assert json.loads(cli("connections", "show", "dw", "--json").stdout)["extra"] == ["sslmode"]
    assert cli("connections", "delete", "dw").exit_code == 0
    gone = cli("connections", "show", "dw")
    assert gone.exit_code == 2 and "no stored connection 'dw'" in gone.stderr


def test_fields_and_a_password_in_the_uri_warns() -> None:
    by_fields = cli("connections", "add", "api", "--type", "http", "--host", "api.example.com",
                    "--login", "svc", "--extra", "timeout=5", "--password-stdin", stdin="pw-1234")
    assert by_fields.exit_code == 0, by_fields.output
    doc = json.loads(cli("connections", "show", "api", "--json").stdout)
    assert (doc["conn_type"], doc["host"], doc["login"], doc["password"]) == (
        "http", "api.example.com", "svc", "***")
    in_uri = cli("connections", "add", "db", "--uri", f"postgresql://u:{PASSWORD}@h/db")
    assert in_uri.exit_code == 0 and "visible in shell history" in in_uri.stderr


@pytest.mark.parametrize("args", [
    ["connections", "add", "x"],                                          # neither --uri nor --type
    ["connections", "add", "x", "--uri", "u://h", "--type", "http"],
    ["connections", "add", "x", "--uri", "not a uri"],
    ["connections", "add", "bad id", "--type", "http"],
    ["connections", "add", "x", "--type", "http", "--extra", "novalue"],
    ["variables", "set", "x"],                                           # no value, no --stdin
    ["variables", "get", "missing"],
    ["variables", "delete", "missing"],
    ["connections", "delete", "missing"],
])
def test_bad_input_exits_2_with_a_message(args: list[str]) -> None:
    done = cli(*args)
    assert done.exit_code == 2 and done.stderr.startswith("error: "), (done.output, done.exception)


def test_variables_set_get_list_delete(backend: str) -> None:
    assert cli("variables", "set", "region", "eu-west-1").exit_code == 0
    piped = cli("variables", "set", "crm_api_token", "--stdin", stdin="tok-from-stdin\n")
    assert piped.exit_code == 0 and "warning" not in piped.stderr
    assert cli("variables", "get", "crm_api_token").stdout == "tok-from-stdin\n"
    listed = cli("variables", "list", "--json")
    assert "tok-from-stdin" not in listed.stdout and "eu-west-1" not in listed.stdout
    assert [(v["name"], v["sensitive"]) for v in json.loads(listed.stdout)] == [
        ("crm_api_token", True), ("region", False)]
    assert cli("variables", "delete", "region").exit_code == 0
    assert [v["name"] for v in json.loads(cli("variables", "list", "--json").stdout)] == [
        "crm_api_token"]


def test_a_secret_value_on_the_command_line_warns() -> None:
    done = cli("variables", "set", "db_password", "on-the-command-line")
    assert done.exit_code == 0 and "prefer --stdin" in done.stderr


def test_rotate_key_then_everything_still_reads(backend: str, legato_home: Path) -> None:
    cli("variables", "set", "crm_api_token", "--stdin", stdin="tok-rot-1")
    cli("connections", "add", "dw", "--type", "postgresql", "--host", "h", "--password-stdin",
        stdin=PASSWORD)
    before = (legato_home / "secret.key").read_bytes()
    done = cli("secrets", "rotate-key", "--json")
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert (report["rotated"], report["total"], report["old_key_ids"]) == (2, 2, [])
    assert (legato_home / "secret.key").read_bytes() != before
    assert cli("variables", "get", "crm_api_token").stdout == "tok-rot-1\n"


def test_a_wrong_key_exits_1_naming_the_variable(backend: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    cli("variables", "set", "crm_api_token", "--stdin", stdin="tok-1")
    monkeypatch.setenv("LEGATO_SECRET_KEY", cli("secrets", "generate-key").stdout.strip())
    done = cli("variables", "get", "crm_api_token")
    assert done.exit_code == 1
    assert "cannot decrypt variable 'crm_api_token'" in done.stderr and "tok-1" not in done.output
