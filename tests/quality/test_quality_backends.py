"""Dead letters, exactly-once replay and the drift gate on every metadata store (SQLite, and
PostgreSQL through the `backend` fixture; there the destination table is PostgreSQL too)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from qhelpers import po, write_dag

from legato.authoring.loader import load_file
from legato.config import load_settings
from legato.quality import DataQualityError, drift_gate
from legato.services import dead_letters as dlq
from legato.services import quality
from legato.store import dead_letters as store
from legato.store.db import normalize_url


@pytest.fixture
def db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """The metadata database URL (also used as the replay destination)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'warehouse.db'}"
        return
    try:
        yield os.environ["LEGATO_DATABASE_URL"]
    finally:
        from legato.quality import destinations

        for engine in destinations._engines.values():
            engine.dispose()
        destinations._engines.clear()


def test_dead_letter_replay_exactly_once(db_url: str, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    (dag,) = load_file(write_dag(tmp_path, db_url)).dags
    assert dag.run().state == "success"
    settings = load_settings()
    letters = dlq.list_letters(settings, dag_id="po_ingest")
    assert len(letters) == 3
    for x in letters:
        dlq.fix(settings, x.id, po(200 + x.record_index))
    real = store.transition

    def crash(conn, letter_id, from_status, to_status, at, **values):
        if to_status == "replayed":
            raise SystemExit("killed")
        return real(conn, letter_id, from_status, to_status, at, **values)

    monkeypatch.setattr(store, "transition", crash)
    with pytest.raises(SystemExit):
        dlq.replay(settings, all_=True)
    monkeypatch.setattr(store, "transition", real)
    report = dlq.replay(settings, all_=True)
    assert sorted(report.replayed) == sorted(x.id for x in letters)
    engine = sa.create_engine(normalize_url(db_url))
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(sa.text("SELECT purchase_order_id FROM purchase_orders"))]
    engine.dispose()
    assert len(ids) == len(set(ids)) == 6


def test_drift_gate_reports(db_url: str) -> None:
    import random

    rng = random.Random(7)
    base = [{"v": rng.gauss(0, 1)} for _ in range(2000)]
    drift_gate(base, dataset="d")
    with pytest.raises(DataQualityError):
        drift_gate([{"v": rng.gauss(1, 1)} for _ in range(2000)], dataset="d")
    assert [r.status for r in quality.list_reports(load_settings())] == ["held", "baseline"]
