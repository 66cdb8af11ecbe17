"""The encrypted store on SQLite and PostgreSQL: ciphertext only, wrong keys named, rotation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from legato.authoring.variables import parse_connection
from legato.config import load_settings
from legato.security.secrets import (
    KEY_FILE,
    DecryptError,
    Keyring,
    SecretStore,
    generate_key,
    key_id,
    load_keyring,
    rotate_key,
)
from legato.store import secrets as store
from legato.store.db import open_engine
from legato.store.schema import secret_connections, secret_variables

PASSWORD = "Pw-7c1e0f-not-in-the-db"
TOKEN = "tok-55aa01-not-in-the-db"
HOST = "warehouse-9f3b.internal"


def _store() -> SecretStore:
    settings = load_settings()
    return SecretStore(settings.database_url, settings.home)


def _fill(secrets: SecretStore) -> None:
    secrets.add_connection(parse_connection(
        "dw", f"postgresql://etl_user:{PASSWORD}@{HOST}:5432/sales?sslmode=require"))
    secrets.set_variable("crm_api_token", TOKEN)
    secrets.set_variable("region", "eu-west-1")


def _stored_text() -> str:
    """Every stored value of both tables, as text, the way a database dump would show it."""
    with open_engine(load_settings().database_url).connect() as conn:
        rows = [*conn.execute(sa.select(secret_connections)), *conn.execute(sa.select(secret_variables))]
    return "\n".join(str(tuple(r)) for r in rows)


def test_only_ciphertext_reaches_the_database(backend: str, legato_home: Path) -> None:
    secrets = _store()
    _fill(secrets)
    dump = _stored_text()
    assert "dw" in dump and "crm_api_token" in dump          # ids stay readable for listings
    for plain in (PASSWORD, TOKEN, HOST, "etl_user", "eu-west-1"):
        assert plain not in dump
    if backend == "sqlite":
        raw = b"".join(p.read_bytes() for p in legato_home.glob("legato.db*"))
        assert raw and b"crm_api_token" in raw                  # the file does hold the rows
        for plain in (PASSWORD, TOKEN, HOST, "eu-west-1"):
            assert plain.encode() not in raw


def test_round_trip_replace_list_and_delete(backend: str) -> None:
    secrets = _store()
    _fill(secrets)
    conn = secrets.connection("dw")
    assert conn is not None
    assert (conn.conn_type, conn.host, conn.port, conn.login, conn.password, conn.schema) == (
        "postgresql", HOST, 5432, "etl_user", PASSWORD, "sales")
    assert conn.extra == {"sslmode": "require"}
    assert secrets.variable("crm_api_token") == TOKEN
    assert secrets.set_variable("region", "us-east-2") is False       # replaced, not added
    assert secrets.variable("region") == "us-east-2"
    assert [(i.name, i.sensitive) for i in secrets.variables()] == [
        ("crm_api_token", True), ("region", False)]
    assert [(i.name, i.conn_type) for i in secrets.connections()] == [("dw", "postgresql")]
    assert secrets.delete_variable("region") and not secrets.delete_variable("region")
    assert secrets.variable("region") is None and secrets.connection("nope") is None


def test_bad_names_are_refused_before_anything_is_stored() -> None:
    with pytest.raises(ValueError, match="variable name 'a b'"):
        _store().set_variable("a b", "x")
    assert _store().variables() == []


def test_a_wrong_key_names_the_secret_and_never_returns_garbage(
        backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    first = generate_key()
    monkeypatch.setenv("LEGATO_SECRET_KEY", first)
    _fill(_store())
    monkeypatch.setenv("LEGATO_SECRET_KEY", generate_key())
    with pytest.raises(DecryptError) as caught:
        _store().variable("crm_api_token")
    message = str(caught.value)
    assert "variable 'crm_api_token'" in message and key_id(first.encode()) in message
    with pytest.raises(DecryptError, match="connection 'dw'"):
        _store().connection("dw")


def test_a_ciphertext_moved_to_another_row_is_refused() -> None:
    secrets = _store()
    _fill(secrets)
    with open_engine(secrets.database_url).begin() as conn:
        token = store.get(conn, "variable", "crm_api_token")
        assert token is not None
        conn.execute(sa.update(secret_variables).where(secret_variables.c.name == "region")
                     .values(ciphertext=token.ciphertext))
    with pytest.raises(DecryptError, match="holds the ciphertext of variable 'crm_api_token'"):
        secrets.variable("region")


def test_rotation_with_the_key_file_re_encrypts_every_row(backend: str, legato_home: Path) -> None:
    secrets = _store()
    _fill(secrets)
    old = load_keyring(legato_home)
    before = _stored_text()
    done = rotate_key(secrets.database_url, legato_home)
    assert (done.rotated, done.total, done.old_key_ids) == (3, 3, ())
    new = load_keyring(legato_home)
    assert new.ids == (done.key_id,) and done.key_id not in old.ids
    assert (legato_home / KEY_FILE).stat().st_mode & 0o777 == 0o600
    assert _stored_text() != before
    assert secrets.variable("crm_api_token") == TOKEN
    assert secrets.connection("dw").password == PASSWORD  # type: ignore[union-attr]
    with open_engine(secrets.database_url).connect() as conn:
        rows = store.list_all(conn, "variable")
    assert {r.key_id for r in rows} == {done.key_id}
    with pytest.raises(DecryptError):                      # the retired key opens nothing now
        old.decrypt(rows[0])


def test_rotation_can_keep_the_old_key_for_other_readers(legato_home: Path) -> None:
    secrets = _store()
    _fill(secrets)
    old_id = load_keyring(legato_home).primary_id
    done = rotate_key(secrets.database_url, legato_home, keep_old=True)
    assert done.old_key_ids == (old_id,)
    assert load_keyring(legato_home).ids == (done.key_id, old_id)


def test_rotation_with_the_environment_key_moves_rows_to_the_first_key(
        backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = generate_key(), generate_key()
    monkeypatch.setenv("LEGATO_SECRET_KEY", old)
    secrets = _store()
    _fill(secrets)
    monkeypatch.setenv("LEGATO_SECRET_KEY", f"{new},{old}")
    assert secrets.variable("crm_api_token") == TOKEN       # the old key still decrypts
    done = rotate_key(secrets.database_url, secrets.home)
    assert (done.rotated, done.key_id, done.old_key_ids) == (3, key_id(new.encode()),
                                                             (key_id(old.encode()),))
    monkeypatch.setenv("LEGATO_SECRET_KEY", new)             # the operator drops the old key
    assert secrets.variable("crm_api_token") == TOKEN
    assert rotate_key(secrets.database_url, secrets.home).rotated == 0


def test_a_row_no_key_opens_stops_the_rotation_and_changes_nothing(
        backend: str, legato_home: Path) -> None:
    secrets = _store()
    _fill(secrets)
    stranger = Keyring((generate_key().encode(),), "elsewhere")
    with open_engine(secrets.database_url).begin() as conn:
        store.put(conn, "variable", "orphan", stranger.encrypt("variable", "orphan", "x"),
                  stranger.primary_id, datetime.now(UTC))
    key_file = (legato_home / KEY_FILE).read_bytes()
    before = _stored_text()
    with pytest.raises(DecryptError, match="variable 'orphan'"):
        rotate_key(secrets.database_url, legato_home)
    assert _stored_text() == before
    assert (legato_home / KEY_FILE).read_bytes() == key_file
