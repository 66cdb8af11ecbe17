"""Large results in the format that costs least for their type, and passed in memory within
one process (issue 16: data passing without a JSON round trip)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from legato.store import results as result_store


def _roundtrip(value: object, tmp_path: Path, name: str = "v") -> tuple[result_store.StoredValue, object]:
    stored = result_store.encode(value, what="test value", results_dir=tmp_path, relpath=name)
    return stored, result_store.decode(stored.inline, stored.path, tmp_path)


def test_each_type_in_its_own_format(tmp_path: Path) -> None:
    big = "é" * (result_store.INLINE_LIMIT)
    stored, back = _roundtrip(big, tmp_path, "text")
    assert stored.path == "text.txt" and back == big
    assert (tmp_path / "text.txt").read_bytes() == big.encode()        # not JSON-escaped
    blob = os.urandom(result_store.INLINE_LIMIT)
    stored, back = _roundtrip(blob, tmp_path, "blob")
    assert stored.path == "blob.bin" and back == blob
    small = b"\x00\x01payload"
    stored, back = _roundtrip(small, tmp_path, "small")
    assert stored.path is None and back == small                        # inline, tagged base64
    rows = [{"i": i} for i in range(10_000)]
    stored, back = _roundtrip(rows, tmp_path, "rows")
    assert stored.path == "rows.json" and back == rows and stored.length == 10_000


def test_numpy_arrays_without_pickle(tmp_path: Path) -> None:
    numpy = pytest.importorskip("numpy")
    array = numpy.arange(100_000, dtype=numpy.float64).reshape(1000, 100)
    stored, back = _roundtrip(array, tmp_path, "array")
    assert stored.path == "array.npy" and numpy.array_equal(back, array)
    with pytest.raises(result_store.ResultNotSerializable, match="not JSON-serializable"):
        _roundtrip(numpy.array([object()] * 3, dtype=object), tmp_path, "objects")


def test_a_large_value_passes_in_memory_but_never_a_stale_one(tmp_path: Path) -> None:
    big = "y" * (result_store.INLINE_LIMIT * 8)
    stored = result_store.encode(big, what="v", results_dir=tmp_path, relpath="m")
    assert result_store.decode(None, stored.path, tmp_path) is big        # the object itself
    (tmp_path / "m.txt").write_text("rewritten by a re-run elsewhere")
    assert result_store.decode(None, stored.path, tmp_path) == "rewritten by a re-run elsewhere"


DATAPASS = """
from legato import DAG, task
SIZE = 10 * 1024 * 1024

with DAG("datapass_formats") as dag:
    @task
    def a() -> str:
        return "x" * SIZE

    @task
    def b(payload: str) -> int:
        return len(payload)

    @task
    def c() -> bytes:
        return bytes(range(256)) * 4096

    @task
    def d(blob: bytes) -> int:
        return sum(blob[:256])

    b(a())
    d(c())
"""


@pytest.mark.parametrize("executor", ["local", "local:process"])
def test_ten_mebibytes_between_tasks(executor: str, tmp_path: Path) -> None:
    """In one process the string passes in memory; across processes through its .txt file."""
    from legato.authoring.loader import load_file

    path = tmp_path / "datapass_formats.py"
    path.write_text(DATAPASS)
    (dag,) = load_file(path).dags
    result = dag.run(executor=executor, max_workers=2)
    assert result["b"].result == 10 * 1024 * 1024 and result["d"].result == sum(range(256))
