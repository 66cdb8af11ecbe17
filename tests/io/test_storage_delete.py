"""`storage.delete`: one file removed, on a local path and on an fsspec URL; a missing one is
FileNotFoundError (what po_validation's quarantine relies on to move a file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from legato.io import storage


@pytest.mark.parametrize("where", ["local", "memory"])
def test_delete_removes_one_file_and_a_missing_one_is_an_error(where: str, tmp_path: Path) -> None:
    base = str(tmp_path) if where == "local" else f"memory://legato-delete-{tmp_path.name}"
    storage.write_text(f"{base}/in/a.json", "{}")
    storage.write_text(f"{base}/in/b.json", "{}")
    storage.delete(f"{base}/in/a.json")
    assert [p.rsplit("/", 1)[-1] for p in storage.ls(f"{base}/in")] == ["b.json"]
    with pytest.raises(FileNotFoundError):
        storage.delete(f"{base}/in/a.json")
