"""The fast accept-path never accepts what jsonschema rejects (and accepts ordinary valid data)."""

from __future__ import annotations

import copy
import random
from collections import OrderedDict
from decimal import Decimal

import pytest
from jsonschema.validators import validator_for
from qhelpers import PO_SCHEMA, po

from legato.quality.fastpath import compile_fast

EXTRA = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 2, "maxLength": 5},
        "kind": {"enum": ["a", "b"]},
        "tags": {"type": "array", "minItems": 1, "maxItems": 2, "items": {"type": "string"}},
        "score": {"type": ["number", "null"], "exclusiveMinimum": 0, "maximum": 10},
        "flag": {"type": "boolean"},
    },
}

ODD_VALUES = [None, True, False, 0, 1, -1, 1.0, 2.5, -0.5, float("nan"), Decimal(-1), "", "x",
              "toolong", [], ["a"], ["a", "b", "c"], [1], {}, OrderedDict(), {"a": 1}, "a", "b"]


def _mutations(rng: random.Random, base: dict, n: int) -> list:
    out = []
    for _ in range(n):
        doc = copy.deepcopy(base)
        for _ in range(rng.randint(1, 3)):
            target = doc
            lines = [x for x in doc.get("items", []) if isinstance(x, dict)] \
                if isinstance(doc.get("items"), list) else []
            if lines and rng.random() < 0.5:
                target = rng.choice(lines)
            keys = [*target, "surprise"]
            key = rng.choice(keys)
            if rng.random() < 0.2:
                target.pop(key, None)
            else:
                target[key] = rng.choice(ODD_VALUES)
        out.append(doc)
    return out


@pytest.mark.parametrize(("schema", "base"), [
    (PO_SCHEMA, po(1)),
    (EXTRA, {"name": "abc", "kind": "a", "tags": ["t"], "score": 1.5, "flag": True}),
])
def test_fast_accept_implies_jsonschema_accepts(schema: dict, base: dict) -> None:
    fast = compile_fast(schema)
    assert fast is not None and fast(base)
    cls = validator_for(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    docs = [*_mutations(random.Random(11), base, 3000), OrderedDict(base), ODD_VALUES]
    accepted = 0
    for doc in docs:
        if fast(doc):
            accepted += 1
            assert validator.is_valid(doc), doc
    assert accepted > 50                                  # it does accept many, not nothing


def test_unsupported_keywords_turn_the_fast_path_off() -> None:
    for schema in ({"type": "string", "format": "email"}, {"$ref": "#/$defs/x"},
                   {"items": [{"type": "string"}]}, {"enum": [1, 2]},
                   {"minimum": 0, "exclusiveMinimum": True}, {"type": "no-such"},
                   {"patternProperties": {"^a": {}}}):
        assert compile_fast(schema) is None, schema
