"""Secret masking: every known secret value becomes `***` in task logs and stored errors.

Known secrets are the passwords of connections a try fetched from the store, the password
part of `LEGATO_CONN_*` URIs, variables whose names look sensitive (Airflow's idea: names
containing password, secret, token, key, ...), both from `LEGATO_VAR_*` and from the store,
and whatever a task registers with `legato.mask_secret(value)`.

The set is process-wide (a worker process has its own). Masking is one pre-compiled regex
alternation (shaped as a trie, longest match first), rebuilt only when the set changes; with
no secret known, `mask` returns its input untouched. Values shorter than MIN_LENGTH are never
masked: masking "a" or "no" would blank every log line. A secret is also masked in its URL-quoted and
repr-escaped spellings, and each line of a multi-line secret (a private key) on its own,
because logs are masked line by line.
"""

from __future__ import annotations

import os
import re
import threading
from typing import Any
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
_stale = False
_env_seen: frozenset[tuple[str, str]] = frozenset()
_generation = 0


def is_sensitive_name(name: str) -> bool:
    """Whether a variable's name says its value is a secret (`db_password`, `API_KEY`, ...)."""
    lowered = name.lower()
    return any(part in lowered for part in SENSITIVE_NAME_PARTS)


def _spellings(value: str) -> set[str]:
    found = {value, quote(value, safe=""), repr(value)[1:-1]}
    if "\n" in value:
        found.update(line.strip() for line in value.splitlines())
    return {s for s in found if len(s) >= MIN_LENGTH}


def _trie_regex(node: dict[str, Any]) -> str:
    """The regex of a character trie: runs without branches become literals, an optional
    tail is greedy, so the longest secret starting at a position wins."""
    out = []
    while True:
        keys = sorted(k for k in node if k)
        if len(keys) == 1 and "" not in node:
            out.append(re.escape(keys[0]))
            node = node[keys[0]]
            continue
        break
    if not keys:
        return "".join(out)
    branches = [re.escape(k) + _trie_regex(node[k]) for k in keys]
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return "".join(out) + (f"(?:{body})?" if "" in node else body)


def _compile(values: set[str]) -> re.Pattern[str]:
    """One regex for every value, shaped as a trie: a plain alternation makes the engine try
    each secret at each position (1,000 secrets: 390 us a line), the trie only the secrets
    sharing the characters seen so far (28 us)."""
    trie: dict[str, Any] = {}
    for value in values:
        node = trie
        for ch in value:
            node = node.setdefault(ch, {})
        node[""] = {}
    try:
        return re.compile(_trie_regex(trie))
    except (RecursionError, re.error):                 # absurdly nested: the plain form
        return re.compile("|".join(map(re.escape, sorted(values, key=len, reverse=True))))


def _rebuild() -> None:
    """Mark the pattern stale (under _lock); the next `mask` compiles it once, so registering
    many secrets in a row costs one compilation, not one each."""
    global _stale
    _stale = True


def _current_pattern() -> re.Pattern[str] | None:
    global _pattern, _stale
    if _stale:
        with _lock:
            if _stale:
                values = _secrets | _env_secrets_now
                _pattern = _compile(values) if values else None
                _stale = False
    return _pattern


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
    pattern = _current_pattern()
    if pattern is None or not text:
        return text
    return pattern.sub(MASK, text)


def mask_value(value: Any) -> Any:
    """A JSON-like value (dicts, lists, strings, numbers) with every known secret masked in its
    strings and keys; a number whose digits are a secret becomes the string `***`. A copy:
    `value` is left as it was (dead letters keep the raw record for replay)."""
    if _current_pattern() is None:
        return value
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {mask(str(k)) if isinstance(k, str) else k: mask_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_value(v) for v in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value if mask(str(value)) == str(value) else MASK
    return value


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


def generation() -> int:
    """Bumped by `forget_all`: caches of what was registered are stale when it changes."""
    return _generation


def forget_all() -> None:
    """Drop every known secret (tests only: a process's secrets are otherwise kept)."""
    global _env_seen, _env_secrets_now, _generation
    with _lock:
        _generation += 1
        _secrets.clear()
        _env_secrets_now = set()
        _env_seen = frozenset()
        _rebuild()
