"""The subset of JQL the helpdesk stand-in answers: clauses joined by AND, each `field = value`,
`field != value`, `field in (a, b)` or `summary ~ text`, then an optional `ORDER BY field
[ASC|DESC]`. Values are bare words or quoted; keywords and field names are case-insensitive,
values compare case-insensitively (as Jira compares priority and status names).

`matcher(jql)` gives (predicate over an issue's plain fields, sort key, descending); anything
else in a query is a ValueError naming it, which the stand-in answers 400 as Jira does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

FIELDS = ("project", "status", "priority", "labels", "assignee", "component", "summary", "key",
          "created", "updated")
_TOKEN = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|(!=|=|~|\(|\)|,)|([^\s=!~(),]+))')

Predicate = Callable[[dict[str, Any]], bool]


def _tokens(jql: str) -> list[tuple[str, str]]:
    """(kind, text): kind "str" for a quoted value, "op" for punctuation, "word" otherwise."""
    out, pos = [], 0
    while pos < len(jql.rstrip()):
        m = _TOKEN.match(jql, pos)
        if m is None or m.end() == pos:
            raise ValueError(f"JQL: cannot read {jql[pos:]!r}")
        quoted = m.group(1) if m.group(1) is not None else m.group(2)
        if quoted is not None:
            out.append(("str", quoted.replace('\\"', '"')))
        elif m.group(3):
            out.append(("op", m.group(3)))
        else:
            out.append(("word", m.group(4)))
        pos = m.end()
    return out


def _values(field: str, issue: dict[str, Any]) -> list[str]:
    value = issue.get(field)
    if isinstance(value, list | tuple):
        return [str(v).lower() for v in value]
    return [] if value is None else [str(value).lower()]


def _clause(field: str, op: str, wanted: list[str]) -> Predicate:
    wanted = [w.lower() for w in wanted]
    if op == "~":
        return lambda issue: any(w in " ".join(_values(field, issue)) for w in wanted)
    if op == "!=":
        return lambda issue: not set(_values(field, issue)) & set(wanted)
    return lambda issue: bool(set(_values(field, issue)) & set(wanted))


def _field(text: str) -> str:
    name = text.lower()
    name = "component" if name == "components" else name
    if name not in FIELDS:
        raise ValueError(f"JQL: field {text!r} is not supported (use {', '.join(FIELDS)})")
    return name


def _parse_clause(tokens: list[tuple[str, str]], i: int) -> tuple[Predicate, int]:
    if tokens[i][0] != "word":
        raise ValueError(f"JQL: expected a field name, got {tokens[i][1]!r}")
    field = _field(tokens[i][1])
    op = tokens[i + 1][1].lower() if i + 1 < len(tokens) else ""
    if op == "in":
        if i + 2 >= len(tokens) or tokens[i + 2] != ("op", "("):
            raise ValueError("JQL: expected '(' after IN")
        values, j = [], i + 3
        while j < len(tokens) and tokens[j] != ("op", ")"):
            if tokens[j] != ("op", ","):
                values.append(tokens[j][1])
            j += 1
        if j >= len(tokens):
            raise ValueError("JQL: missing ')'")
        return _clause(field, "=", values), j + 1
    if op not in ("=", "!=", "~") or i + 2 >= len(tokens):
        raise ValueError(f"JQL: expected =, !=, ~ or IN after {field}")
    return _clause(field, op, [tokens[i + 2][1]]), i + 3


def matcher(jql: str) -> tuple[Predicate, str, bool]:
    """(predicate, order field, descending) for `jql`; an empty query matches everything."""
    tokens = _tokens(jql or "")
    clauses: list[Predicate] = []
    order, descending, i = "created", False, 0
    while i < len(tokens):
        kind, text = tokens[i]
        if kind == "word" and text.lower() == "and" and clauses:
            i += 1
            continue
        if kind == "word" and text.lower() == "order":
            if i + 2 >= len(tokens) or tokens[i + 1][1].lower() != "by":
                raise ValueError("JQL: expected ORDER BY <field>")
            order = _field(tokens[i + 2][1])
            descending = i + 3 < len(tokens) and tokens[i + 3][1].lower() == "desc"
            break
        clause, i = _parse_clause(tokens, i)
        clauses.append(clause)
    return (lambda issue: all(c(issue) for c in clauses)), order, descending
