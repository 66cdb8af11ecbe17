"""Sandboxed, strict Jinja rendering of templated fields."""

from __future__ import annotations

from datetime import datetime

import pytest
from jinja2.exceptions import SecurityError, UndefinedError

from legato.authoring.templating import MACROS, ds_add, ds_format, render

VARS = {"ds": "2023-01-01", "params": {"table": "events"}, "macros": MACROS}


def test_render_ds():
    assert render("{{ ds }}", VARS) == "2023-01-01"
    assert render("s3://bucket/{{ ds }}/{{ params.table }}", VARS) == (
        "s3://bucket/2023-01-01/events"
    )


def test_plain_string_returned_unchanged():
    assert render("no template here {ds}", VARS) == "no template here {ds}"


def test_statement_blocks_render():
    assert render("{% if ds %}yes{% endif %}", VARS) == "yes"


@pytest.mark.parametrize(
    ("ds", "days", "expected"),
    [
        ("2023-01-01", 5, "2023-01-06"),
        ("2023-01-01", -1, "2022-12-31"),
        ("2024-02-28", 1, "2024-02-29"),
        ("2023-02-28", 1, "2023-03-01"),
        ("2023-12-31", 0, "2023-12-31"),
    ],
)
def test_ds_add(ds, days, expected):
    assert ds_add(ds, days) == expected


def test_ds_format():
    assert ds_format("2023-01-02", "%Y-%m-%d", "%d/%m/%Y") == "02/01/2023"
    assert ds_format("20230102", "%Y%m%d", "%Y-%m-%d") == "2023-01-02"


def test_macros_in_templates():
    assert render("{{ macros.ds_add(ds, 7) }}", VARS) == "2023-01-08"
    assert render("{{ macros.ds_format(ds, '%Y-%m-%d', '%Y%m%d') }}", VARS) == "20230101"


def test_ds_filters():
    variables = {"when": datetime(2023, 4, 5, 6, 7)}
    assert render("{{ when | ds }}", variables) == "2023-04-05"
    assert render("{{ when | ds_nodash }}", variables) == "20230405"


def test_unknown_name_raises():
    with pytest.raises(UndefinedError, match="ds_nodahs"):
        render("{{ ds_nodahs }}", VARS)


def test_unknown_attribute_raises():
    with pytest.raises(UndefinedError):
        render("{{ params.missing }}", VARS)


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ params.__class__ }}",
        "{{ macros.ds_add.__globals__ }}",
    ],
)
def test_sandbox_refuses_internals(source):
    with pytest.raises(SecurityError):
        render(source, VARS)


def test_render_recurses_into_containers():
    value = {
        "path": "/data/{{ ds }}",
        "list": ["{{ ds }}", "x", 3, None],
        "tuple": ("{{ params.table }}", 1.5),
        "nested": {"deeper": [{"k": "{{ macros.ds_add(ds, 1) }}"}]},
    }
    assert render(value, VARS) == {
        "path": "/data/2023-01-01",
        "list": ["2023-01-01", "x", 3, None],
        "tuple": ("events", 1.5),
        "nested": {"deeper": [{"k": "2023-01-02"}]},
    }


def test_render_keeps_container_types_and_leaves_input_alone():
    source = ["{{ ds }}"]
    out = render(source, VARS)
    assert out == ["2023-01-01"]
    assert source == ["{{ ds }}"]
    assert isinstance(render(("{{ ds }}",), VARS), tuple)


def test_non_strings_pass_through():
    obj = object()
    assert render(obj, VARS) is obj
    assert render(42, VARS) == 42


def test_dict_keys_are_not_rendered():
    assert render({"{{ ds }}": "v"}, VARS) == {"{{ ds }}": "v"}


def test_trailing_newline_kept():
    assert render("{{ ds }}\n", VARS) == "2023-01-01\n"
