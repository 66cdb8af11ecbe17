#!/usr/bin/env python3
"""Contract validation throughput: 100,000 purchase orders against the article's JSON Schema.

Usage: python benchmarks/quality.py [--records N] [--runs R] [--invalid-ratio F]

Prints records/s (median of R runs after one warm-up) for:
  - baseline: jsonschema's compiled validator, `list(validator.iter_errors(record))` per record
    (what a hand-written loop collecting every reason does), measured in the same run;
  - baseline is_valid: the compiled validator's `is_valid` alone (a lower bound: no reasons);
  - legato valid-only: `validate(records, contract)` on records that all pass (and with the
    example's total-matches-lines row rule);
  - legato with dead letters: ~2% invalid records, every reason kept, written to the
    dead-letter store (SQLite in a temporary LEGATO_HOME) in one transaction.
The records are generated with a seeded RNG. It reports; it does not test (exit status 0).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# The article's purchase-order schema, kept once beside the example that uses it.
SCHEMA_FILE = Path(__file__).resolve().parents[1] / "examples" / "purchase_order.schema.json"
PO_SCHEMA = json.loads(SCHEMA_FILE.read_text())


def _order(rng: random.Random, i: int) -> dict[str, Any]:
    items = [{"sku": f"SKU-{rng.randrange(10_000):05d}", "quantity": rng.randint(1, 50),
              "unit_price": round(rng.uniform(0.5, 500), 2)} for _ in range(rng.randint(1, 5))]
    return {"purchase_order_id": f"PO-{i:07d}", "vendor_id": f"V-{rng.randrange(500):03d}",
            "items": items,
            "total_amount": round(sum(x["quantity"] * x["unit_price"] for x in items), 2)}


def _break(rng: random.Random, po: dict[str, Any]) -> dict[str, Any]:
    kind = rng.randrange(4)
    if kind == 0:
        po["items"][0]["quantity"] = 0
    elif kind == 1:
        del po["vendor_id"]
    elif kind == 2:
        po["total_amount"] = str(po["total_amount"])
    else:
        po["items"][0]["unit_price"] = -1
    return po


def generate(n: int, invalid_ratio: float, seed: int = 6) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [_break(rng, _order(rng, i)) if rng.random() < invalid_ratio else _order(rng, i)
            for i in range(n)]


def median_rate(fn: Callable[[], Any], n: int, runs: int) -> float:
    fn()                                                         # warm-up, not counted
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return n / statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--invalid-ratio", type=float, default=0.02)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="legato-bench-quality-") as home:
        os.environ["LEGATO_HOME"] = home
        os.environ.pop("LEGATO_DATABASE_URL", None)
        run(args.records, args.runs, args.invalid_ratio, Path(home))


def run(n: int, runs: int, invalid_ratio: float, home: Path) -> None:
    from legato.quality import Contract, DataQualityError, rule, validate

    @rule("total_amount must equal the sum of the lines", path="$.total_amount")
    def total_matches(po: dict[str, Any]) -> bool:
        return abs(sum(i["quantity"] * i["unit_price"] for i in po["items"])
                   - po["total_amount"]) < 0.01

    clean = generate(n, 0.0)
    mixed = generate(n, invalid_ratio)
    contract = Contract(PO_SCHEMA, name="purchase_order")
    with_rule = Contract(PO_SCHEMA, name="purchase_order_rule", rules=[total_matches])
    validator = contract._schema.validator  # the compiled jsonschema validator itself
    bad = sum(1 for r in mixed if not validator.is_valid(r))

    def legato_mixed() -> None:
        try:
            validate(mixed, contract, max_reject_ratio=1.0)
        except DataQualityError:
            pass

    rows = [
        ("baseline iter_errors (valid-only)", median_rate(
            lambda: [list(validator.iter_errors(r)) for r in clean], n, runs)),
        ("baseline is_valid (valid-only)", median_rate(
            lambda: [validator.is_valid(r) for r in clean], n, runs)),
        ("legato validate (valid-only)", median_rate(lambda: validate(clean, contract), n, runs)),
        ("legato validate + a row rule (valid-only)", median_rate(
            lambda: validate(clean, with_rule), n, runs)),
        (f"baseline iter_errors ({bad} invalid)", median_rate(
            lambda: [list(validator.iter_errors(r)) for r in mixed], n, runs)),
        (f"legato validate + dead letters ({bad} invalid)", median_rate(legato_mixed, n, runs)),
    ]
    print(f"{n:,} purchase orders, median of {runs} runs (python {sys.version.split()[0]})")
    width = max(len(name) for name, _ in rows)
    for name, rate in rows:
        print(f"  {name:<{width}}  {rate:>12,.0f} records/s")
    base, mine = rows[4][1], rows[5][1]
    print(f"  legato / baseline with dead letters: {mine / base:.2f}x")
    print(f"  store: {home}/legato.db (each run writes its batch of dead letters in one transaction)")


if __name__ == "__main__":
    main()
