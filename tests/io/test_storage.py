"""legato.io.storage on the local disk and on fsspec's memory filesystem: round trips of each
format, atomic local writes, listing and globbing, and storage options from a connection."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from legato.authoring.variables import parse_connection
from legato.io import storage
from legato.io.fsoptions import options_for, options_from_connection


@pytest.fixture()
def mem() -> str:
    return f"memory://legato-{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize("where", ["local", "memory"])
def test_every_format_round_trips(where: str, tmp_path: Path, mem: str) -> None:
    base = str(tmp_path / "out") if where == "local" else mem
    storage.write_bytes(f"{base}/deep/b.bin", b"\x00\x01")
    storage.write_text(f"{base}/t.txt", "héllo")
    storage.write_json(f"{base}/j.json", {"a": [1, 2], "d": "2024-03-01"})
    rows = [{"id": 1, "name": "Ann, B.", "note": 'say "hi"'}, {"id": 2, "name": "Bo", "note": None}]
    storage.write_csv(f"{base}/r.csv", rows)
    assert storage.read_bytes(f"{base}/deep/b.bin") == b"\x00\x01"
    assert storage.read_text(f"{base}/t.txt") == "héllo"
    assert storage.read_json(f"{base}/j.json") == {"a": [1, 2], "d": "2024-03-01"}
    assert storage.read_csv(f"{base}/r.csv") == [
        {"id": "1", "name": "Ann, B.", "note": 'say "hi"'}, {"id": "2", "name": "Bo", "note": ""}]


@pytest.mark.parametrize("where", ["local", "memory"])
def test_ls_lists_a_folder_and_matches_a_glob(where: str, tmp_path: Path, mem: str) -> None:
    base = str(tmp_path) if where == "local" else mem
    for name in ("2024-03-01/a.csv", "2024-03-01/b.json", "2024-03-02/c.csv"):
        storage.write_text(f"{base}/{name}", "x")
    listed = storage.ls(f"{base}/2024-03-01")
    assert [p.rsplit("/", 1)[1] for p in listed] == ["a.csv", "b.json"]
    matched = storage.ls(f"{base}/2024-*/*.csv")
    assert [p.rsplit("/", 2)[1] + "/" + p.rsplit("/", 1)[1] for p in matched] == [
        "2024-03-01/a.csv", "2024-03-02/c.csv"]
    assert storage.read_text(matched[1]) == "x"        # listed names read back as they are


def test_a_write_killed_after_the_data_left_the_old_file_and_no_temp_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.csv"
    storage.write_text(str(target), "old\n")

    def killed(fd: int) -> None:                # the bytes are written, the rename never comes
        raise KeyboardInterrupt("killed mid-write")

    monkeypatch.setattr(os, "fsync", killed)
    with pytest.raises(KeyboardInterrupt):
        storage.write_csv(str(target), [{"a": i} for i in range(1000)])
    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["report.csv"]


def test_a_local_write_goes_through_a_temp_file_renamed_over_the_target(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "data.json"
    storage.write_text(str(target), "old")
    seen: list[tuple[str, str, str]] = []
    real_replace = os.replace

    def spy(src: str, dst: str) -> None:
        seen.append((Path(src).name, Path(dst).read_text(), Path(src).read_text()))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    storage.write_json(str(target), {"new": True})
    (tmp_name, before, staged), = seen
    assert tmp_name.startswith(".data.json.") and tmp_name.endswith(".part")
    assert before == "old" and '"new": true' in staged     # the target was whole until the rename
    assert storage.read_json(str(target)) == {"new": True}


def test_bad_input_gets_errors_that_name_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    with pytest.raises(ValueError, match=r"keys \['b'\] not in columns"):
        storage.write_csv(str(path), [{"a": 1, "b": 2}], columns=["a"])
    assert not path.exists()
    path.write_text("a,b\n1,2,3\n")
    with pytest.raises(ValueError, match="line 2 has more fields"):
        storage.read_csv(str(path))
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not JSON"):
        storage.read_json(str(path))


def test_connection_fields_become_fsspec_options(monkeypatch: pytest.MonkeyPatch) -> None:
    s3 = parse_connection("s3_prod", "s3://AKIA:s%2Fcret@minio.local:9000/?region_name=eu-west-1"
                                     "&use_ssl=false&anon=false")
    assert options_from_connection("s3", s3) == {
        "key": "AKIA", "secret": "s/cret", "region_name": "eu-west-1", "anon": False,
        "client_kwargs": {"endpoint_url": "http://minio.local:9000"}}
    az = parse_connection("lake", "abfs://acct:k3y@/")
    assert options_from_connection("abfs", az) == {"account_name": "acct", "account_key": "k3y"}
    sftp = parse_connection("box", "sftp://me:pw@files.example:2222/?timeout=5")
    assert options_from_connection("sftp", sftp) == {
        "username": "me", "password": "pw", "host": "files.example", "port": 2222, "timeout": 5}
    monkeypatch.setenv("LEGATO_CONN_GCS_MAIN", "gs://proj-1:%2Fkeys%2Fsa.json@/")
    assert options_for("gs://bucket/x.csv", "gcs_main") == {"project": "proj-1",
                                                            "token": "/keys/sa.json"}


def test_options_from_a_connection_reach_the_filesystem(
        monkeypatch: pytest.MonkeyPatch, mem: str) -> None:
    import fsspec
    from fsspec.implementations.memory import MemoryFileSystem

    got: list[dict[str, object]] = []

    class Recording(MemoryFileSystem):
        protocol = ("recmem",)

        def __init__(self, **options: object) -> None:
            got.append(options)
            super().__init__()

    fsspec.register_implementation("recmem", Recording, clobber=True)
    monkeypatch.setenv("LEGATO_CONN_REC", "recmem://user:pw@/?region=x")
    storage.write_text("recmem://bucket/a.txt", "hi", conn="rec")
    assert storage.read_text("recmem://bucket/a.txt", conn="rec") == "hi"
    assert got and all(o == {"username": "user", "password": "pw", "region": "x"} for o in got)


def test_local_files_need_no_fsspec(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = ("import sys; sys.modules['fsspec'] = None\n"         # any import of fsspec fails
            "from legato.io import storage\n"
            f"base = {str(tmp_path)!r}\n"
            "storage.write_csv(base + '/a/x.csv', [{'k': 1}])\n"
            "print(storage.read_csv(base + '/a/x.csv'), [p[-5:] for p in storage.ls(base + '/*/*.csv')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[{'k': '1'}] ['x.csv']"
