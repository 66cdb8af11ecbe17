"""Loading DAG folders: hidden files inside the folder are skipped, a hidden parent is not."""

from __future__ import annotations

from pathlib import Path

from legato.authoring.loader import load_folder

DAG_TEXT = ("from legato import DAG\nfrom legato.tasks import EmptyTask\n"
            "with DAG({!r}) as dag:\n    EmptyTask('t')\n")


def test_folder_under_a_hidden_parent_loads(tmp_path: Path) -> None:
    folder = tmp_path / ".cache" / "dags"
    (folder / ".hidden").mkdir(parents=True)
    (folder / "seen.py").write_text(DAG_TEXT.format("seen"))
    (folder / ".hidden" / "skipped.py").write_text(DAG_TEXT.format("skipped"))
    (folder / "_private.py").write_text(DAG_TEXT.format("private"))
    loaded = load_folder(folder.resolve())
    assert [d.dag_id for d in loaded.dags] == ["seen"] and loaded.errors == []
