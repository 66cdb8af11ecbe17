"""Which columns the drift gate judges (issue 10 item 28): identifiers, sequences and time
stamps take new values every day, so identical data was held; they are left out by default,
`columns=` / `exclude=` choose, and the reference is re-taken when the gated columns change."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from legato.config import load_settings
from legato.quality import DataQualityError, drift_gate, pin_reference, profile
from legato.quality.drift import gated_columns
from legato.quality.profile import exclusion
from legato.services import quality

N = 2000


def day_of_orders(day: int, *, seed: int | None = None, shift_sd: float = 0.0,
                  extra: dict[str, float] | None = None) -> list[dict]:
    """One day of orders: the same distribution every day, but ids, numbers and times move on."""
    rng = random.Random(seed if seed is not None else day)
    start = datetime(2024, 3, 1) + timedelta(days=day)
    rows = []
    for i in range(N):
        row = {"order_id": day * N + i, "po_number": f"PO-{day:03d}-{i:05d}",
               "line_no": day * N + i, "created_at": (start + timedelta(seconds=30 * i)).isoformat(),
               "day": start.date().isoformat(), "loaded_at": start.timestamp() + i,
               "amount": rng.gauss(100 + 15 * shift_sd, 15), "quantity": rng.randint(1, 20),
               "region": rng.choice(["emea", "amer", "apac"])}
        for name, mean in (extra or {}).items():
            row[name] = rng.gauss(mean, 1.0)
        rows.append(row)
    return rows


def statuses() -> list[str]:
    return [r.status for r in reversed(quality.list_reports(load_settings(), dataset="orders"))]


def latest() -> dict:
    return quality.list_reports(load_settings(), dataset="orders")[0].report


def test_identical_data_with_new_ids_and_dates_passes(legato_home: Path) -> None:
    drift_gate(day_of_orders(1), dataset="orders")
    drift_gate(day_of_orders(2), dataset="orders")        # held before: every id and date "drifted"
    report = latest()
    assert statuses() == ["baseline", "passed"]
    assert report["gated"] == ["amount", "quantity", "region"]
    assert set(report["excluded"]) == {"order_id", "po_number", "line_no", "created_at", "day",
                                       "loaded_at"}
    with pytest.raises(DataQualityError, match="amount"):
        drift_gate(day_of_orders(3, shift_sd=1.0), dataset="orders")   # real drift still held


def test_columns_and_exclude_choose_the_gated_columns(legato_home: Path) -> None:
    drift_gate(day_of_orders(1), dataset="orders", columns=["region", "quantity"])
    drift_gate(day_of_orders(2, shift_sd=1.0), dataset="orders", columns=["region", "quantity"])
    assert latest()["gated"] == ["region", "quantity"] and statuses()[-1] == "passed"
    with pytest.raises(DataQualityError, match="order_id"):       # named, so judged
        drift_gate(day_of_orders(3), dataset="orders", columns=["region", "quantity", "order_id"])
    with pytest.raises(TypeError, match="list of column names"):
        drift_gate(day_of_orders(4), dataset="orders", exclude="amount")  # type: ignore[arg-type]


def test_a_change_of_gated_columns_takes_a_new_reference(legato_home: Path) -> None:
    drift_gate(day_of_orders(1), dataset="orders")
    drift_gate(day_of_orders(2), dataset="orders", exclude=["quantity"])
    assert statuses() == ["baseline", "baseline"]
    assert "changed from ['amount', 'quantity', 'region'] to ['amount', 'region']" in latest()["reason"]
    drift_gate(day_of_orders(3), dataset="orders", exclude=["quantity"])
    assert statuses()[-1] == "passed"
    ref = quality.get_reference(load_settings(), "orders")
    assert ref is not None and ref.profile["gate"] == {"columns": ["amount", "region"]}


def test_a_new_column_is_gated_from_the_next_reference_on(legato_home: Path) -> None:
    drift_gate(day_of_orders(1), dataset="orders")
    drift_gate(day_of_orders(2, extra={"discount": 5.0}), dataset="orders")
    assert statuses() == ["baseline", "baseline"] and latest()["new_columns"] == ["discount"]
    with pytest.raises(DataQualityError, match="discount"):
        drift_gate(day_of_orders(3, extra={"discount": 9.0}), dataset="orders")


def test_changed_columns_with_drift_are_held_not_rebaselined(legato_home: Path) -> None:
    drift_gate(day_of_orders(1), dataset="orders")
    with pytest.raises(DataQualityError, match="amount"):
        drift_gate(day_of_orders(2, shift_sd=1.0, extra={"discount": 5.0}), dataset="orders")
    ref = quality.get_reference(load_settings(), "orders")
    assert ref is not None and "discount" not in ref.profile["columns"]


def test_a_pinned_reference_is_never_replaced(legato_home: Path) -> None:
    pin_reference("orders", day_of_orders(1))
    drift_gate(day_of_orders(2, extra={"discount": 5.0}), dataset="orders", exclude=["quantity"])
    assert statuses() == ["passed"]
    ref = quality.get_reference(load_settings(), "orders")
    assert ref is not None and ref.pinned and "discount" not in ref.profile["columns"]


@pytest.mark.parametrize("name, values, why", [
    ("id", list(range(5)), "identifier"),
    ("customer_id", [7, 7, 8], "identifier"),
    ("orderId", ["a", "a"], "identifier"),
    ("event_ts", [1.7e9 + i for i in range(3)], "time stamp"),
    ("shipped", ["2024-03-01", "2024-03-02T10:00:00Z", None], "dates or times"),
    ("email", [f"u{i}@x.org" for i in range(25)], "every value is distinct"),
    ("rank", list(range(25, 0, -1)), "a sequence"),
    ("ticket", [9_000_000 + 3 * i for i in range(30)], "a sequence"),
])
def test_exclusion_rules(name: str, values: list, why: str) -> None:
    reason = exclusion(name, values)
    assert reason is not None and why in reason


@pytest.mark.parametrize("name, values", [
    ("paid", [1, 2, 3]),                                         # ends in "id", not an id
    ("vendor_id", [f"V{i % 12}" for i in range(100)]),          # a key with a few values: data
    ("valid", [True, False] * 20),
    ("amount", [random.Random(1).gauss(100, 15) for _ in range(100)]),   # distinct floats
    ("amount_cents", random.Random(2).sample(range(10_000_000), 100)),  # distinct, sparse
    ("email", [f"u{i}@x.org" for i in range(10)]),               # too few rows to tell
    ("region", ["emea", "amer"] * 20),
    ("lead_time", [1.5, 2.5, 3.5]),
])
def test_ordinary_columns_are_gated(name: str, values: list) -> None:
    assert exclusion(name, values) is None


def test_gated_columns_read_exclusions_from_either_profile() -> None:
    ref = profile([{"a": 1.0, "code": f"c{i}"} for i in range(30)])        # code unique here
    cur = profile([{"a": 2.0, "code": "same"} for _ in range(30)])
    gated, excluded = gated_columns(cur, ref)
    assert gated == ["a"] and "code" in excluded
    assert gated_columns(cur, ref, columns=["code"]) == (["code"], {})
