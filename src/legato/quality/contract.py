"""`Contract`: a JSON Schema (or a pydantic model) plus row rules, compiled once.

`check(record)` returns every reason a record fails, each `{"path", "message", "kind"}` with
the path as JSONPath (`$.items[0].quantity`). The schema is checked and compiled when the
contract is built, so a typo in the schema fails the DAG file's import, not a run. Rules run
only on records the schema accepts (a rule may then index fields without guarding).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .registry import caller_file, register

Reason = dict[str, str]


@dataclass(frozen=True)
class Rule:
    """A row rule: `fn(record)` is truthy when the record passes; `message` says why not.

    `path` names the field the rule is about, for the report ("$" means the whole record)."""

    fn: Callable[[Any], Any]
    message: str
    path: str = "$"

    def check(self, record: Any) -> Reason | None:
        try:
            ok = self.fn(record)
        except Exception as exc:  # noqa: BLE001 - a rule that crashes on a record refuses it
            return {"path": self.path, "message": f"{self.message} ({type(exc).__name__}: {exc})",
                    "kind": "rule"}
        return None if ok else {"path": self.path, "message": self.message, "kind": "rule"}


def rule(message: str, path: str = "$") -> Callable[[Callable[[Any], Any]], Rule]:
    """Decorator form: `@rule("total must equal the sum of the lines")` over `def f(po): ...`."""
    def wrap(fn: Callable[[Any], Any]) -> Rule:
        return Rule(fn, message, path)
    return wrap


def json_path(parts: Iterable[Any]) -> str:
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


class _JsonSchema:
    """A compiled jsonschema validator, fronted by the closure fast path when the schema allows
    (see fastpath.py): valid records never reach jsonschema; invalid ones get its reasons."""

    def __init__(self, schema: dict[str, Any]) -> None:
        import jsonschema
        from jsonschema.validators import validator_for

        from .fastpath import compile_fast

        cls = validator_for(schema)
        try:
            cls.check_schema(schema)
        except jsonschema.SchemaError as exc:
            raise ValueError(f"invalid JSON Schema: {exc.message}") from None
        self.schema = schema
        self.validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
        self.fast = compile_fast(schema)

    def reasons(self, record: Any) -> list[Reason]:
        """[] when `record` is valid, else every reason jsonschema gives."""
        fast = self.fast
        if fast is not None:
            if fast(record):
                return []
        elif self.validator.is_valid(record):
            return []
        errors = sorted(self.validator.iter_errors(record), key=lambda e: list(map(str, e.path)))
        return [{"path": json_path(e.absolute_path), "message": e.message, "kind": "schema"}
                for e in errors]


class _Pydantic:
    def __init__(self, model: type) -> None:
        from pydantic import TypeAdapter

        self.model = model
        self.adapter = TypeAdapter(model)
        self.schema = model.model_json_schema()  # type: ignore[attr-defined]

    def reasons(self, record: Any) -> list[Reason]:
        from pydantic import ValidationError

        try:
            self.adapter.validate_python(record)
        except ValidationError as exc:
            return [{"path": json_path(e["loc"]), "message": e["msg"], "kind": "schema"}
                    for e in exc.errors()]
        return []


def _is_pydantic_model(schema: Any) -> bool:
    return isinstance(schema, type) and hasattr(schema, "model_validate")


class Contract:
    """What a record must be: `Contract(schema, name="purchase_order", rules=[...])`.

    `schema` is a JSON Schema dict or a pydantic model class. Built at module level in a DAG
    file, a contract is also what `legato dlq replay` re-validates fixed records against."""

    def __init__(self, schema: dict[str, Any] | type, *, name: str,
                 rules: Sequence[Rule] = ()) -> None:
        if not name or not isinstance(name, str):
            raise ValueError("a Contract needs a name (it is how dead letters refer to it)")
        bad = [r for r in rules if not isinstance(r, Rule)]
        if bad:
            raise TypeError(f"contract {name!r}: rules must be Rule objects (use @rule(message) "
                            f"or Rule(fn, message)), got {bad[0]!r}")
        if _is_pydantic_model(schema):
            self._schema: _JsonSchema | _Pydantic = _Pydantic(schema)  # type: ignore[arg-type]
        elif isinstance(schema, dict):
            self._schema = _JsonSchema(schema)
        else:
            raise TypeError(f"contract {name!r}: schema must be a JSON Schema dict or a pydantic "
                            f"model class, not {type(schema).__name__}")
        self.name = name
        self.rules = tuple(rules)
        self.origin = caller_file()
        register("contract", name, self, self.origin)

    @property
    def json_schema(self) -> dict[str, Any]:
        return self._schema.schema

    def check(self, record: Any) -> list[Reason]:
        """Every reason `record` fails; [] when it passes."""
        reasons = self._schema.reasons(record)
        if reasons:
            return reasons
        return [r for r in (rule.check(record) for rule in self.rules) if r is not None]

    def __repr__(self) -> str:
        return f"<Contract {self.name!r} rules={len(self.rules)}>"
