"""store/tries.py and store/xcom.py on both backends: instances written in batches through the
driver's plain-SQL path read back exactly as Core would store them (aware datetimes included);
a try is recorded once; a try's log reference; results and pushed values written, read by map
index and dropped for cleared tasks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from legato.store import tries as store
from legato.store import xcom
from legato.store.results import StoredValue

T0 = datetime(2024, 5, 1, 6, 30, 15, 250_000, tzinfo=UTC)


def instances(db: sa.Engine, run_id: str = "r") -> dict[tuple[str, int], store.InstanceRow]:
    with db.connect() as conn:
        return {(i.task_id, i.map_index): i for i in store.instances_of_run(conn, run_id)}


def test_instances_are_written_in_batches_and_the_last_write_wins(db: sa.Engine) -> None:
    with db.begin() as conn:
        store.insert_instances(conn, "r", [("a", -1), ("m", 0), ("m", 1)], "scheduled")
        store.insert_instances(conn, "other", [("a", -1)], "scheduled")
        store.insert_instances(conn, "r", [], "scheduled")            # nothing: no statement
    running = store.InstanceRow("r", "a", -1, "running", 1, None, T0, None, None, None)
    retry = store.InstanceRow("r", "m", 1, "up_for_retry", 1, T0 + timedelta(seconds=30), T0,
                              T0 + timedelta(seconds=2), "boom", "ValueError")
    with db.begin() as conn:
        store.update_instances(conn, [running, retry,
                                      store.InstanceRow("r", "a", -1, "success", 1, None, T0,
                                                        T0 + timedelta(seconds=1), None, None)])
    got = instances(db)
    assert set(got) == {("a", -1), ("m", 0), ("m", 1)}
    assert got[("m", 1)] == retry                                   # times exactly, and aware
    assert got[("m", 1)].next_try_at.utcoffset() == timedelta(0)    # type: ignore[union-attr]
    assert (got[("a", -1)].state, got[("a", -1)].end_date) == ("success", T0 + timedelta(seconds=1))
    assert got[("m", 0)] == store.InstanceRow("r", "m", 0, "scheduled", 0, None, None, None,
                                              None, None)
    assert [i.state for i in instances(db, "other").values()] == ["scheduled"]


def test_operators_marks_resets_and_cleared_mapped_tasks(db: sa.Engine) -> None:
    with db.begin() as conn:
        store.insert_instances(conn, "r", [("a", -1), ("b", -1), ("m", 0)], "failed")
        store.set_states(conn, "r", [("a", -1)], "success", T0)
        store.set_states(conn, "r", [("b", -1)], "failed", T0, error="marked failed")
        store.delete_instance(conn, "r", "m", 0)
        store.insert_with_tries(conn, "r", [("m", -1)], {"m": 3})
        store.reset_instances(conn, "r", [("b", -1)])
    got = instances(db)
    assert (got[("a", -1)].state, got[("a", -1)].end_date, got[("a", -1)].error_type) == (
        "success", T0, None)
    assert (got[("b", -1)].state, got[("b", -1)].error, got[("b", -1)].end_date) == (
        "scheduled", None, None)
    assert ("m", 0) not in got and (got[("m", -1)].state, got[("m", -1)].try_number) == (
        "scheduled", 3)


def try_row(number: int, state: str = "failed", **log: str | None) -> store.TryRow:
    return store.TryRow("r", "t", -1, number, state, T0, T0 + timedelta(seconds=number), None,
                        None, log.get("path"), log.get("text"), log.get("error"))


def test_a_try_is_recorded_once_with_its_log_reference(db: sa.Engine) -> None:
    with db.begin() as conn:
        store.insert_tries(conn, [try_row(2, "success", path="logs/t/2.log"),
                                  try_row(1, text="boom\n")])
        store.insert_tries(conn, [])
    with pytest.raises(sa.exc.IntegrityError), db.begin() as conn:
        store.insert_tries(conn, [try_row(1, "success")])          # a second outcome of try 1
    with db.connect() as conn:
        assert store.tries_of(conn, "r") == [try_row(1, text="boom\n"),
                                             try_row(2, "success", path="logs/t/2.log")]
        assert store.tries_of(conn, "r", "other") == []
        assert store.log_of(conn, "r", "t", -1, 1) == store.TryLogRef("boom\n", None, None)
        assert store.log_of(conn, "r", "t", -1, 2) == store.TryLogRef(None, "logs/t/2.log", None)
        assert store.log_of(conn, "r", "t", -1, 3) is None          # still running: no row


def test_a_try_keeps_what_its_callback_raised(db: sa.Engine) -> None:
    """task_tries.callback_error (0014): written with the try in the same statement, read back
    with it, and listed per run for the places that show a run."""
    raised = "on_success_callback raised ValueError: helpdesk unreachable"
    with db.begin() as conn:
        store.insert_tries(conn, [
            store.TryRow("r", "t", -1, 1, "success", T0, T0, None, None, None, "ok\n", None,
                         raised),
            store.TryRow("r", "m", 2, 1, "failed", T0, T0, "boom", "RuntimeError", None, None,
                         None, "on_failure_callback raised KeyError: 'x'"),
            try_row(2)])
    with db.connect() as conn:
        assert [t.callback_error for t in store.tries_of(conn, "r", "t")] == [raised, None]
        assert store.callback_errors_of_run(conn, "r") == [
            ("m", 2, 1, "on_failure_callback raised KeyError: 'x'"), ("t", -1, 1, raised)]
        assert store.callback_errors_of_run(conn, "other") == []


def test_values_are_written_read_by_map_index_and_dropped_for_cleared_tasks(
        db: sa.Engine) -> None:
    inline = StoredValue(inline='{"n": 1}', path=None, size=8)
    big = StoredValue(inline=None, path="d/r/m.1.return_value", size=200_000)
    with db.begin() as conn:
        xcom.write(conn, [xcom.XComRow("r", "m", 1, "return_value", big),
                          xcom.XComRow("r", "m", 0, "return_value", inline),
                          xcom.XComRow("r", "m", 0, "count", inline),
                          xcom.XComRow("r", "k", -1, "return_value", inline),
                          xcom.XComRow("other", "m", 0, "return_value", inline)])
        xcom.write(conn, [])
    with pytest.raises(sa.exc.IntegrityError), db.begin() as conn:   # only once per value
        xcom.write(conn, [xcom.XComRow("r", "k", -1, "return_value", inline)])
    with db.begin() as conn:
        assert xcom.read(conn, "r", "m", "return_value") == [(0, '{"n": 1}', None),
                                                             (1, None, "d/r/m.1.return_value")]
        xcom.delete_of(conn, "r", ["m"])
        xcom.delete_of(conn, "r", [])
        assert xcom.read(conn, "r", "m", "return_value") == []
        assert xcom.read(conn, "r", "m", "count") == []
        assert xcom.read(conn, "r", "k", "return_value") == [(-1, '{"n": 1}', None)]
        assert xcom.read(conn, "other", "m", "return_value") == [(0, '{"n": 1}', None)]
