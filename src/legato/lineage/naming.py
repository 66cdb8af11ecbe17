"""OpenLineage names of a dataset URI: `namespace` (where the data lives) and `name` (what it
is there), after the OpenLineage naming conventions: `scheme://authority` is the namespace and
the path the name (`s3://bucket/key` -> `s3://bucket`, `key`; `postgres://h:5432/db.t` ->
`postgres://h:5432`, `db.t`); `file:///p` -> `file`, `/p`; a URI with no scheme is named in
the `legato` namespace as it is. Pure, so the same URI always maps to the same dataset.
"""

from __future__ import annotations

from urllib.parse import urlsplit

DEFAULT_NAMESPACE = "legato"


def dataset_name(uri: str) -> tuple[str, str]:
    """(namespace, name) of `uri`."""
    if "://" not in uri:
        return DEFAULT_NAMESPACE, uri
    parts = urlsplit(uri)
    scheme = parts.scheme or uri.split("://", 1)[0]
    if not parts.netloc:
        return scheme, parts.path or uri
    name = parts.path.lstrip("/")
    if parts.query:
        name = f"{name}?{parts.query}"
    return f"{scheme}://{parts.netloc}", name or "/"
