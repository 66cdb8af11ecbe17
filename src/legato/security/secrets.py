"""Connections and variables encrypted at rest (Fernet), the key, rotation, and the resolver
that lets task code read them.

The key: `LEGATO_SECRET_KEY` (one Fernet key, or several separated by commas: the first
encrypts, all decrypt), else the key file `$LEGATO_HOME/secret.key` (one key per line, same
rule), created with mode 0600 the first time something is stored. A key file that its group
or others may read is refused. Reading never creates a key: a missing key is an error that
says where a key was looked for, not a fresh key that silently opens nothing.

Each row keeps `key_id` (a sha256 prefix of the key that encrypted it, which reveals nothing
of the key), so a wrong key is reported as "encrypted with key X, you have Y" naming the
connection or variable. The plaintext carries its own kind and name, so a ciphertext copied
onto another row is refused rather than read as the other row's secret.

`cryptography` is imported on first use, never by `import legato`.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets as _random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..atomicfile import write_atomic
from ..authoring.variables import Connection
from ..config import secret_key_env
from ..store import secrets as store
from ..store.db import open_engine
from .masking import generation as masking_generation
from .masking import is_sensitive_name, mask_secret

KEY_ENV = "LEGATO_SECRET_KEY"
KEY_FILE = "secret.key"
_masked_rows: dict[tuple[str, int], set[tuple[str, str, datetime]]] = {}  # rows registered


class SecretKeyError(Exception):
    """No usable key: missing, malformed, or a key file others can read."""


class DecryptError(Exception):
    """A stored secret the current key(s) cannot open; the message names it."""


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:12]


def generate_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


@dataclass(frozen=True)
class Keyring:
    """The keys in use: `keys[0]` encrypts, every key decrypts (MultiFernet)."""

    keys: tuple[bytes, ...]
    source: str                       # "LEGATO_SECRET_KEY" or the key file's path

    @property
    def primary_id(self) -> str:
        return key_id(self.keys[0])

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(key_id(k) for k in self.keys)

    def _fernet(self) -> Any:
        from cryptography.fernet import Fernet, MultiFernet

        return MultiFernet([Fernet(k) for k in self.keys])

    def encrypt(self, kind: str, name: str, payload: Any) -> str:
        doc = json.dumps({"kind": kind, "name": name, "v": payload})
        return self._fernet().encrypt(doc.encode()).decode()

    def decrypt(self, row: store.SecretRow) -> Any:
        from cryptography.fernet import InvalidToken

        try:
            doc = json.loads(self._fernet().decrypt(row.ciphertext.encode()))
        except InvalidToken:
            raise DecryptError(self._why(row)) from None
        if doc.get("kind") != row.kind or doc.get("name") != row.name:
            raise DecryptError(f"stored {row.kind} {row.name!r} holds the ciphertext of "
                               f"{doc.get('kind')} {doc.get('name')!r}; refusing to use it")
        return doc["v"]

    def rotate(self, row: store.SecretRow) -> str:
        """The row's ciphertext re-encrypted under the primary key."""
        self.decrypt(row)                              # a clear error before anything changes
        return self._fernet().rotate(row.ciphertext.encode()).decode()

    def _why(self, row: store.SecretRow) -> str:
        head = f"cannot decrypt {row.kind} {row.name!r}"
        if row.key_id in self.ids:
            return f"{head}: its ciphertext is damaged (key {row.key_id} is the right key)"
        return (f"{head}: it was encrypted with key {row.key_id}, and the key(s) from "
                f"{self.source} ({', '.join(self.ids)}) do not open it. Use the key it was "
                f"stored with (LEGATO_SECRET_KEY may list several keys, comma-separated: the "
                f"first encrypts, all decrypt), or store it again")


def _parse_keys(text: str, source: str) -> tuple[bytes, ...]:
    from cryptography.fernet import Fernet

    keys = tuple(k.strip().encode() for k in text.replace("\n", ",").split(",") if k.strip())
    if not keys:
        raise SecretKeyError(f"{source} holds no key")
    for n, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except ValueError:
            raise SecretKeyError(
                f"key {n} in {source} is not a Fernet key (32 url-safe base64-encoded bytes); "
                f"make one with `legato secrets generate-key`") from None
    return keys


def check_key_file(path: Path) -> None:
    """Refuse a key file that anyone but its owner may read or write."""
    if os.name != "posix":
        return
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise SecretKeyError(f"refusing to use the key file {path}: its mode is {mode:04o}, so "
                             f"others may read it; run `chmod 600 {path}`")


def write_key_file(path: Path, keys: tuple[bytes, ...]) -> None:
    """Replace the key file atomically, created 0600 (never readable by others, even briefly)."""
    write_atomic(path, b"\n".join(keys) + b"\n", perm=0o600)


def _create_key_file(path: Path) -> None:
    """First use: a new key, unless another process just made one (link fails if it exists)."""
    tmp = path.with_name(f".{path.name}.new.{os.getpid()}.{_random.token_hex(4)}")
    write_key_file(tmp, (generate_key().encode(),))
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


def load_keyring(home: Path, *, create: bool = False) -> Keyring:
    """The keys from LEGATO_SECRET_KEY, else from the key file (made if `create`)."""
    env = secret_key_env()
    if env:
        return Keyring(_parse_keys(env, KEY_ENV), KEY_ENV)
    path = home / KEY_FILE
    if not path.exists():
        if not create:
            raise SecretKeyError(f"no secret key: {KEY_ENV} is not set and {path} does not "
                                 f"exist, so stored secrets cannot be decrypted")
        _create_key_file(path)
    check_key_file(path)
    return Keyring(_parse_keys(path.read_text(), str(path)), str(path))


# -- connections and variables ------------------------------------------------------------

def _connection_payload(c: Connection) -> dict[str, Any]:
    return {"conn_type": c.conn_type, "host": c.host, "login": c.login, "password": c.password,
            "port": c.port, "schema": c.schema, "extra": dict(c.extra)}


@dataclass(frozen=True)
class SecretInfo:
    """A stored secret as listings show it: never its value."""

    name: str
    updated_at: datetime
    key_id: str
    conn_type: str | None = None
    sensitive: bool = False


class SecretStore:
    """The encrypted connections and variables of one metadata database."""

    def __init__(self, database_url: str, home: Path) -> None:
        self.database_url = database_url
        self.home = Path(home)

    def _engine(self) -> Any:
        return open_engine(self.database_url)

    def _put(self, kind: str, name: str, payload: Any, conn_type: str | None = None) -> bool:
        check_name(kind, name)
        keyring = load_keyring(self.home, create=True)
        token = keyring.encrypt(kind, name, payload)
        with self._engine().begin() as conn:
            return store.put(conn, kind, name, token, keyring.primary_id, datetime.now(UTC),
                             conn_type)

    def _get(self, kind: str, name: str) -> Any:
        with self._engine().connect() as conn:
            row = store.get(conn, kind, name)
        return None if row is None else load_keyring(self.home).decrypt(row)

    def _delete(self, kind: str, name: str) -> bool:
        with self._engine().begin() as conn:
            return store.delete(conn, kind, name)

    def _list(self, kind: str) -> list[store.SecretRow]:
        with self._engine().connect() as conn:
            return store.list_all(conn, kind)

    def set_variable(self, name: str, value: str) -> bool:
        """Store (or replace) a variable; True if it is new."""
        return self._put("variable", name, value)

    def variable(self, name: str) -> str | None:
        value = self._get("variable", name)
        if value is not None and is_sensitive_name(name):
            mask_secret(value)
        return value

    def delete_variable(self, name: str) -> bool:
        return self._delete("variable", name)

    def variables(self) -> list[SecretInfo]:
        return [SecretInfo(r.name, r.updated_at, r.key_id, sensitive=is_sensitive_name(r.name))
                for r in self._list("variable")]

    def add_connection(self, connection: Connection) -> bool:
        return self._put("connection", connection.conn_id, _connection_payload(connection),
                         connection.conn_type)

    def connection(self, conn_id: str) -> Connection | None:
        doc = self._get("connection", conn_id)
        if doc is None:
            return None
        if doc.get("password"):
            mask_secret(doc["password"])
        return Connection(conn_id=conn_id, **doc)

    def delete_connection(self, conn_id: str) -> bool:
        return self._delete("connection", conn_id)

    def connections(self) -> list[SecretInfo]:
        return [SecretInfo(r.name, r.updated_at, r.key_id, conn_type=r.conn_type)
                for r in self._list("connection")]

    def rows(self) -> Iterator[store.SecretRow]:
        yield from self._list("connection")
        yield from self._list("variable")

    def mask_all(self) -> int:
        """Register every stored secret (connection passwords, variables with sensitive names)
        for masking in this process, for display paths that show text written by tasks (dead
        letters) in a process that never ran those tasks. Each row is decrypted once per
        version (name, updated_at); with no key, nothing stored can be read, and nothing is
        registered. Returns how many values were newly registered."""
        seen = _masked_rows.setdefault((self.database_url, masking_generation()), set())
        new = [r for r in self.rows() if (r.kind, r.name, r.updated_at) not in seen
               and (r.kind == "connection" or is_sensitive_name(r.name))]
        if not new:
            return 0
        try:
            keyring = load_keyring(self.home)
        except SecretKeyError:
            return 0
        for row in new:
            try:
                value = keyring.decrypt(row)
            except DecryptError:
                continue
            secret = value.get("password") if row.kind == "connection" else value
            if secret:
                mask_secret(secret)
            seen.add((row.kind, row.name, row.updated_at))
        return len(new)


def check_name(kind: str, name: str) -> None:
    """Ids that also work as `LEGATO_CONN_<ID>` / `LEGATO_VAR_<NAME>` and in templates."""
    ok = (0 < len(name) <= 250 and (name[0].isalnum() or name[0] == "_")
          and all(ch.isalnum() or ch in "_.-" for ch in name) and name.isascii())
    if not ok:
        raise ValueError(f"{kind} name {name!r} must be 1-250 characters of letters, digits, "
                         f"'_', '.' or '-', starting with a letter, digit or '_'")


class StoreResolver:
    """What the runner installs for a try (legato.authoring.variables.Resolver): reads the
    store only when the environment does not have the name, and never loads a key unless a
    row exists. Secrets it hands out are registered for masking."""

    def __init__(self, database_url: str, home: str | Path) -> None:
        self._store = SecretStore(database_url, Path(home))

    def variable(self, name: str) -> str | None:
        return self._store.variable(name)

    def connection(self, conn_id: str) -> Connection | None:
        return self._store.connection(conn_id)


# -- rotation -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Rotation:
    """What `legato secrets rotate-key` did."""

    source: str                       # where the keys came from
    key_id: str                       # the key every row is now encrypted with
    old_key_ids: tuple[str, ...]      # keys that still decrypt (empty once dropped)
    rotated: int                      # rows re-encrypted
    total: int


def _reencrypt(secrets: SecretStore, keyring: Keyring, *, everything: bool) -> int:
    """Re-encrypt rows under the primary key, all in one transaction per pass; a row changed
    meanwhile by a writer with an older keyring is caught by the next pass."""
    rotated = 0
    for _ in range(5):
        pending = [r for r in secrets.rows() if everything or r.key_id != keyring.primary_id]
        everything = False
        if not pending:
            return rotated
        with secrets._engine().begin() as conn:
            for row in pending:
                rotated += store.replace_ciphertext(conn, row.kind, row.name, row.ciphertext,
                                                    keyring.rotate(row), keyring.primary_id)
    raise RuntimeError("secrets kept changing during the rotation; run it again")


def rotate_key(database_url: str, home: Path, *, keep_old: bool = False) -> Rotation:
    """Re-encrypt every stored secret under a new key.

    With the key file, a new key is generated and put first in the file (the old ones still
    decrypt), every row is re-encrypted, then the old keys are dropped from the file (kept
    with `keep_old`). A crash at any point leaves a file that opens every row. With
    LEGATO_SECRET_KEY the operator chose the new key: set `NEW,OLD`, run this, then drop OLD.
    """
    home = Path(home)
    secrets = SecretStore(database_url, home)
    total = sum(1 for _ in secrets.rows())
    if secret_key_env():
        keyring = load_keyring(home)
        rotated = _reencrypt(secrets, keyring, everything=False)
        return Rotation(KEY_ENV, keyring.primary_id, keyring.ids[1:], rotated, total)
    path = home / KEY_FILE
    old = load_keyring(home, create=True)
    both = Keyring((generate_key().encode(), *old.keys), str(path))
    write_key_file(path, both.keys)
    try:
        rotated = _reencrypt(secrets, both, everything=True)
    except BaseException:
        write_key_file(path, old.keys)
        raise
    if not keep_old:
        write_key_file(path, both.keys[:1])
    return Rotation(str(path), both.primary_id, both.ids[1:] if keep_old else (), rotated, total)
