"""Every LEGATO_* variable in one place: config.VARIABLES, Settings and the README's table agree,
and no module outside config.py reads one.
"""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

import legato
from legato import errors
from legato.config import VARIABLES, Settings, connection_env, load_settings, variable_env

ROOT = Path(__file__).resolve().parents[1]
SRC = Path(legato.__file__).parent
TABLE = ROOT / "README.md"
FAMILIES = ("LEGATO_VAR_", "LEGATO_CONN_")
# A read: environ.get("LEGATO_..."), getenv(...), environ["LEGATO_..."] (not an assignment to it)
READ = re.compile(r"""(?:environ\.get\(|getenv\(|environ\[)\s*["'](LEGATO_[A-Z0-9_]*)["'](?!\]\s*=[^=])""")


def _table_rows() -> dict[str, str]:
    rows = {}
    for line in TABLE.read_text().splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("LEGATO_"):
            rows[cells[0]] = cells[1]
    return rows


def test_the_readme_table_lists_every_variable_with_its_default() -> None:
    assert _table_rows() == {v.name: v.default for v in VARIABLES}


def test_every_settings_field_is_filled_by_one_variable() -> None:
    filled = [v.field for v in VARIABLES if v.field is not None]
    assert sorted(filled) == sorted(f.name for f in fields(Settings))


def test_every_variable_named_in_the_code_is_registered() -> None:
    known = {v.name for v in VARIABLES}
    unknown = set()
    for path in SRC.rglob("*.py"):
        for name in re.findall(r"\bLEGATO_[A-Z0-9_]*[A-Z0-9]\b", path.read_text()):
            if name not in known and not name.startswith(FAMILIES) and not name.startswith("LEGATO_TEST_"):
                unknown.add(f"{path.relative_to(SRC)}: {name}")
    assert unknown == set()


def test_no_module_but_config_reads_a_legato_variable() -> None:
    readers = set()
    for path in SRC.rglob("*.py"):
        rel = str(path.relative_to(SRC))
        if rel != "config.py" and READ.search(path.read_text()):
            readers.add(rel)
    assert readers == set()


def test_settings_read_the_new_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_OPENLINEAGE_NAMESPACE", "acme")
    monkeypatch.setenv("LEGATO_OPENLINEAGE_API_KEY", "s3cret-key")
    settings = load_settings()
    assert settings.openlineage_namespace == "acme" and settings.openlineage_api_key == "s3cret-key"
    assert "s3cret-key" not in repr(settings)
    monkeypatch.delenv("LEGATO_OPENLINEAGE_NAMESPACE")
    assert load_settings().openlineage_namespace == "legato"


def test_variables_and_connections_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_VAR_MY_BUCKET", "s3://b")
    monkeypatch.setenv("LEGATO_CONN_SALES_DB", "postgresql://u@h/db")
    assert variable_env("my-bucket") == "s3://b" and variable_env("my.bucket") == "s3://b"
    assert connection_env("sales_db") == "postgresql://u@h/db" and connection_env("nope") is None


def test_a_bad_value_is_invalid_input_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_STOP_GRACE_S", "soon")
    with pytest.raises(errors.InvalidInput, match="LEGATO_STOP_GRACE_S='soon' is not a number"):
        load_settings()
