"""Contract: JSON Schema or pydantic, plus rules; every reason with a JSONPath. No I/O."""

from __future__ import annotations

import pytest
from qhelpers import PO_SCHEMA, po

from legato.quality import Contract, Rule, rule


def test_valid_record_has_no_reasons() -> None:
    assert Contract(PO_SCHEMA, name="po").check(po(1)) == []


def test_every_schema_reason_is_reported_with_its_path() -> None:
    bad = {"purchase_order_id": 7, "vendor_id": "V", "total_amount": -1,
           "items": [{"sku": "A", "quantity": 0, "unit_price": 1.0}]}
    reasons = Contract(PO_SCHEMA, name="po").check(bad)
    paths = sorted(r["path"] for r in reasons)
    assert paths == ["$.items[0].quantity", "$.purchase_order_id", "$.total_amount"]
    assert all(r["kind"] == "schema" and r["message"] for r in reasons)


def test_missing_required_field_is_named() -> None:
    reasons = Contract(PO_SCHEMA, name="po").check({"purchase_order_id": "X"})
    text = " ".join(r["message"] for r in reasons)
    for field in ("vendor_id", "items", "total_amount"):
        assert field in text


def test_rules_run_on_schema_valid_records_and_report_their_message() -> None:
    @rule("total must match the lines", path="$.total_amount")
    def total(p: dict) -> bool:
        return sum(i["quantity"] * i["unit_price"] for i in p["items"]) == p["total_amount"]

    never = Rule(lambda p: p["no_such_field"], "has no_such_field")
    c = Contract(PO_SCHEMA, name="po", rules=[total, never])
    reasons = c.check(dict(po(1), total_amount=3.0))
    assert reasons[0]["message"] == "total must match the lines"
    assert reasons[0]["path"] == "$.total_amount" and reasons[0]["kind"] == "rule"
    assert "KeyError" in reasons[1]["message"]              # a crashing rule refuses the record
    assert c.check({"purchase_order_id": 1}) and all(
        r["kind"] == "schema" for r in c.check({"purchase_order_id": 1}))


def test_bad_schema_fails_when_the_contract_is_built() -> None:
    with pytest.raises(ValueError, match="invalid JSON Schema"):
        Contract({"type": "no-such-type"}, name="x")
    with pytest.raises(TypeError):
        Contract(["not", "a", "schema"], name="x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Rule"):
        Contract(PO_SCHEMA, name="x", rules=[lambda r: True])  # type: ignore[list-item]


def test_pydantic_model_contract() -> None:
    pydantic = pytest.importorskip("pydantic")

    class Line(pydantic.BaseModel):
        sku: str
        quantity: int = pydantic.Field(ge=1)

    class Order(pydantic.BaseModel):
        purchase_order_id: str
        items: list[Line]

    c = Contract(Order, name="order")
    assert c.check({"purchase_order_id": "P", "items": [{"sku": "A", "quantity": 1}]}) == []
    reasons = c.check({"purchase_order_id": "P", "items": [{"sku": "A", "quantity": 0}]})
    assert [r["path"] for r in reasons] == ["$.items[0].quantity"]
    assert "properties" in c.json_schema
