"""The stand-ins' world, generated: purchase orders, DDoS attacks, application logs, sales,
customers and stock, each a pure function of its date (and the seed), so every run of the
demo, and every test, sees the same data, and a test can compute what a pipeline should have
found from the same functions instead of hard-coding it.

Two days are special, so the pipelines have something to react to:
- an ATTACK day, when the DDoS API reports long attacks and the infrastructure vendors' purchase
  orders cluster inside the attack windows (auto-scaling bills);
- a DRIFT day, when procurement amounts jump fourfold and one vendor takes most orders (what
  the data product's drift gate must hold back).
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

SEED = 7
ATTACK_DAY = date(2024, 3, 2)
DRIFT_DAY = date(2024, 3, 4)
VENDORS = ("V-ACME", "V-GLOBEX", "V-INITECH", "V-UMBRELLA", "V-HOOLI", "V-STARK", "V-WAYNE",
           "V-CLOUDCO")
INFRA_VENDORS = ("V-CLOUDCO", "V-HOOLI")
SKUS = tuple(f"SKU-{n}" for n in range(1001, 1013))
REGIONS = ("eu-west", "us-east", "ap-south")
TIERS = ("gold", "silver", "bronze")
ORDERS_PER_DAY = 320                     # the drift gate wants a few hundred rows


def _rng(kind: str, key: object) -> random.Random:
    return random.Random(f"{SEED}:{kind}:{key}")


def as_date(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def instant(value: str) -> datetime:
    """An ISO date-time from a query or a record (naive means UTC); ValueError names it."""
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO date-time") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _at(day: date, seconds: float) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=int(seconds))


# -- procurement ------------------------------------------------------------------------------

def _order(rng: random.Random, day: date, i: int, drift: bool) -> dict[str, Any]:
    vendor = "V-STARK" if drift and rng.random() < 0.7 else rng.choice(VENDORS)
    quantity = rng.randint(1, 40)
    unit_price = round(rng.uniform(5, 250) * (4 if drift else 1), 2)
    return {"id": f"PO-{day:%Y%m%d}-{i:04d}", "vendor": vendor, "vendor_id": vendor,
            "product_sku": rng.choice(SKUS), "quantity": quantity, "unit_price": unit_price,
            "amount": round(quantity * unit_price, 2),
            "status": "approved" if rng.random() < 0.85 else "pending",
            "created_date": _at(day, rng.uniform(0, 86_399)).isoformat(),
            "order_date": day.isoformat()}


def purchase_orders(day: date | str) -> list[dict[str, Any]]:
    """Every purchase order created on `day`, oldest first."""
    day = as_date(day)
    rng = _rng("orders", day)
    orders = [_order(rng, day, i, day == DRIFT_DAY) for i in range(ORDERS_PER_DAY)]
    if day == ATTACK_DAY:
        orders += _scaling_orders(day, len(orders))
    return sorted(orders, key=lambda o: o["created_date"])


def _scaling_orders(day: date, start: int) -> list[dict[str, Any]]:
    """On the attack day: infrastructure orders placed during the attacks (auto-scaling)."""
    rng = _rng("scaling", day)
    out = []
    for n, attack in enumerate(ddos_events(day)):
        begin = datetime.fromisoformat(attack["start_time"])
        end = datetime.fromisoformat(attack["end_time"])
        for k in range(3):
            when = begin + (end - begin) * rng.uniform(0.1, 0.9)
            amount = round(rng.uniform(2_000, 9_000), 2)
            out.append({"id": f"PO-{day:%Y%m%d}-{start + 3 * n + k:04d}",
                        "vendor": INFRA_VENDORS[k % 2], "vendor_id": INFRA_VENDORS[k % 2],
                        "product_sku": "SKU-CLOUD", "quantity": 1, "unit_price": amount,
                        "amount": amount, "status": "approved",
                        "created_date": when.replace(microsecond=0).isoformat(),
                        "order_date": day.isoformat()})
    return out


# -- security ---------------------------------------------------------------------------------

def ddos_events(day: date | str) -> list[dict[str, Any]]:
    """The DDoS protection service's attack log for `day`: long attacks on the attack day,
    one short probe otherwise."""
    day = as_date(day)
    rng = _rng("ddos", day)
    count, minutes = (3, (40, 90)) if day == ATTACK_DAY else (1, (2, 4))
    events = []
    for n in range(count):
        begin = _at(day, rng.uniform(3_600 * (1 + 7 * n), 3_600 * (6 + 7 * n)))
        end = begin + timedelta(minutes=rng.randint(*minutes))
        events.append({"id": f"ATK-{day:%Y%m%d}-{n + 1}", "start_time": begin.isoformat(),
                       "end_time": end.isoformat(), "attack_type": rng.choice(
                           ("syn_flood", "http_flood", "udp_reflection")),
                       "peak_rps": rng.randint(20_000, 900_000), "target": "api.shop.example",
                       "source_ips": [f"203.0.113.{rng.randint(1, 254)}" for _ in range(3)]})
    return events


def customers() -> list[dict[str, Any]]:
    rng = _rng("customers", "all")
    return [{"customer_id": f"C-{n:03d}", "name": f"Customer {n}", "tier": rng.choice(TIERS),
             "region": rng.choice(REGIONS)} for n in range(1, 41)]


def application_logs(hour: datetime) -> list[dict[str, Any]]:
    """An hour of the web application's request log (what it ships to the bucket)."""
    rng = _rng("applogs", hour.isoformat())
    base = hour.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    rows = []
    for n in range(240):
        status = rng.choices((200, 201, 404, 429, 500), (80, 8, 6, 4, 2))[0]
        rows.append({"request_id": f"R-{base:%Y%m%d%H}-{n:04d}",
                     "ts": (base + timedelta(seconds=rng.uniform(0, 3_599))).isoformat(),
                     "customer_id": f"C-{rng.randint(1, 45):03d}",   # some unknown to the CRM
                     "ip": f"198.51.100.{rng.randint(1, 254)}",
                     "path": rng.choice(("/api/cart", "/api/checkout", "/api/search", "/login")),
                     "status": status, "latency_ms": round(rng.lognormvariate(4, 0.6), 1)})
    return rows


# -- sales and stock --------------------------------------------------------------------------

def sales(day: date | str) -> list[dict[str, Any]]:
    """The shop's sales transactions of `day`."""
    day = as_date(day)
    rng = _rng("sales", day)
    rows = []
    for n in range(60):
        quantity = rng.randint(1, 6)
        rows.append({"transaction_id": f"T-{day:%Y%m%d}-{n:04d}",
                     "customer_id": f"C-{rng.randint(1, 40):03d}",
                     "product_id": rng.choice(SKUS[:6]), "quantity": quantity,
                     "amount": round(quantity * rng.uniform(10, 90), 2),
                     "date": day.isoformat(),
                     "created_at": _at(day, rng.uniform(0, 86_399)).isoformat()})
    return rows


def stock() -> list[dict[str, Any]]:
    """Opening stock per SKU with its reorder point and quantity."""
    rng = _rng("stock", "all")
    return [{"sku": sku, "opening_stock": rng.randint(30, 80), "reorder_point": 25,
             "reorder_quantity": 100} for sku in SKUS]
