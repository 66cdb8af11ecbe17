"""The key: where it comes from, when it is created, and which key files are refused."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from legato.config import load_settings
from legato.security.secrets import KEY_FILE, SecretKeyError, SecretStore, load_keyring


def _store() -> SecretStore:
    settings = load_settings()
    return SecretStore(settings.database_url, settings.home)


def test_the_key_file_is_made_on_first_write_with_mode_0600(legato_home: Path) -> None:
    secrets = _store()
    assert secrets.variable("anything") is None            # a read never makes a key
    assert not (legato_home / KEY_FILE).exists()
    secrets.set_variable("x", "value")
    key_file = legato_home / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(load_keyring(legato_home).keys) == 1
    secrets.set_variable("y", "value")                     # the same key is used again
    assert load_keyring(legato_home).keys == load_keyring(legato_home).keys


def test_reading_a_stored_secret_without_any_key_says_where_it_looked(legato_home: Path) -> None:
    secrets = _store()
    secrets.set_variable("x", "value")
    (legato_home / KEY_FILE).unlink()
    with pytest.raises(SecretKeyError, match=r"LEGATO_SECRET_KEY is not set and .*secret\.key"):
        secrets.variable("x")


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660])
def test_a_key_file_others_may_read_is_refused(legato_home: Path, mode: int) -> None:
    secrets = _store()
    secrets.set_variable("x", "value")
    key_file = legato_home / KEY_FILE
    key_file.chmod(mode)
    with pytest.raises(SecretKeyError, match=f"mode is {mode:04o}.*chmod 600"):
        secrets.variable("x")
    with pytest.raises(SecretKeyError):
        secrets.set_variable("y", "value")                 # nor used to encrypt
    key_file.chmod(0o600)
    assert secrets.variable("x") == "value"


def test_the_environment_key_wins_over_the_key_file(legato_home: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from legato.security.secrets import generate_key

    key = generate_key()
    monkeypatch.setenv("LEGATO_SECRET_KEY", key)
    _store().set_variable("x", "value")
    assert not (legato_home / KEY_FILE).exists()
    assert load_keyring(legato_home).keys == (key.encode(),)


def test_a_malformed_environment_key_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    from legato.security.secrets import generate_key

    monkeypatch.setenv("LEGATO_SECRET_KEY", f"{generate_key()},not-a-key")
    with pytest.raises(SecretKeyError, match="key 2 in LEGATO_SECRET_KEY is not a Fernet key"):
        _store().set_variable("x", "value")
