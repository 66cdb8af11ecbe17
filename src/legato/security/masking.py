"""Secret masking: every known secret value becomes `***` in task logs and stored errors.

Known secrets are the passwords of connections a try fetched from the store, the password
part of `LEGATO_CONN_*` URIs, variables whose names look sensitive (Airflow's idea: names
containing password, secret, token, key, ...), both from `LEGATO_VAR_*` and from the store,
and whatever a task registers with `legato.mask_secret(value)`.

The set is process-wide (a worker process has its own). Masking is one pre-compiled regex
alternation, longest value first, rebuilt only when the set changes; with no secret known,
`mask` returns its input untouched. Values shorter than MIN_LENGTH are never masked: masking
"a" or "no" would blank every log line. A secret is also masked in its URL-quoted and
repr-escaped spellings, and each line of a multi-line secret (a private key) on its own,
because logs are masked line by line.
"""

from __future__ import annotations

import os
import re
import threading
from urllib.parse import quote, unquote, urlsplit

MASK = "***"
MIN_LENGTH = 4
SENSITIVE_NAME_PARTS = (
    "access_token", "api_key", "apikey", "authorization", "credential", "key", "passphrase",
    "passwd", "password", "private", "secret", "token",
)

_ENV_PREFIXES = ("LEGATO_CONN_", "LEGATO_VAR_")
_ENV_PREFIXES_B = tuple(p.encode() for p in _ENV_PREFIXES)
_lock = threading.Lock()
_secrets: set[str] = set()                   # registered: kept for the process's life
_env_secrets_now: set[str] = set()           # from the environment as last read
_pattern: re.Pattern[str] | None = None
_env_seen: frozenset[tuple[str, str]] = frozenset()


def is_sensitive_name(name: str) -> bool:
    """Whether a variable's name says its value is a secret (`db_password`, `API_KEY`, ...)."""
    lowered = name.lower()
    return any(part in lowered for part in SENSITIVE_NAME_PARTS)


def _spellings(value: str) -> set[str]:
    found = {value, quote(value, safe=""), repr(value)[1:-1]}
    if "\n" in value:
        found.update(line.strip() for line in value.splitlines())
    return {s for s in found if len(s) >= MIN_LENGTH}


def _rebuild() -> None:
    global _pattern
    ordered = sorted(_secrets | _env_secrets_now, key=len, reverse=True)
    _pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None


def mask_secret(value: object) -> None:
    """Mask `value` (its str) in every log line and error text of this process from now on."""
    text = value if isinstance(value, str) else str(value)
    new = _spellings(text) - _secrets
    if not new:
        return
    with _lock:
        _secrets.update(new)
        _rebuild()


def mask(text: str) -> str:
    """`text` with every known secret replaced by `***`."""
    pattern = _pattern
    if pattern is None or not text:
        return text
    return pattern.sub(MASK, text)


def _env_secrets(items: frozenset[tuple[str, str]]) -> list[str]:
    values = []
    for key, raw in items:
        if key.startswith("LEGATO_CONN_"):
            password = urlsplit(raw).password
            if password:
                values.append(unquote(password))
        elif is_sensitive_name(key.removeprefix("LEGATO_VAR_")):
            values.append(raw)
    return values


def _legato_environment() -> frozenset[tuple[str, str]]:
    """The LEGATO_CONN_*/LEGATO_VAR_* items; on POSIX read from the raw bytes mapping, which
    costs 3 us a try where `os.environ.items()` (decoding every variable) costs 20 us."""
    data = getattr(os.environ, "_data", None)
    if os.name == "posix" and isinstance(data, dict):
        return frozenset((os.fsdecode(k), os.fsdecode(v)) for k, v in data.items()
                         if k.startswith(_ENV_PREFIXES_B))
    return frozenset((k, v) for k, v in os.environ.items() if k.startswith(_ENV_PREFIXES))


def watch_environment() -> None:
    """Mask the secrets found in `LEGATO_CONN_*` and sensitive `LEGATO_VAR_*` variables
    (called when a try starts). A changed environment is read again, and a secret whose
    variable is gone stops being masked unless it was also registered."""
    global _env_seen, _env_secrets_now
    items = _legato_environment()
    if items == _env_seen:
        return
    found: set[str] = set()
    for value in _env_secrets(items):
        found |= _spellings(value)
    with _lock:
        _env_secrets_now = found
        _env_seen = items
        _rebuild()


def forget_all() -> None:
    """Drop every known secret (tests only: a process's secrets are otherwise kept)."""
    global _env_seen, _env_secrets_now
    with _lock:
        _secrets.clear()
        _env_secrets_now = set()
        _env_seen = frozenset()
        _rebuild()
