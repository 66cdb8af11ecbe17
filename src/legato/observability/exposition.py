"""Prometheus text exposition format 0.0.4, written from metric families.

https://prometheus.io/docs/instrumenting/exposition_formats/ : per family a `# HELP` line (help
text with `\\` and newlines escaped), a `# TYPE` line, then one line per sample,
`name{label="value",...} value`, label values with `\\`, `"` and newlines escaped. Values are Go
floats: `+Inf`, `-Inf`, `NaN`, otherwise Python's shortest repr (which Go parses).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from .metrics import Family, Sample

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def escape_label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def format_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


def format_sample(sample: Sample) -> str:
    if not sample.labels:
        return f"{sample.name} {format_value(sample.value)}\n"
    labels = ",".join(f'{k}="{escape_label_value(v)}"' for k, v in sample.labels)
    return f"{sample.name}{{{labels}}} {format_value(sample.value)}\n"


def render(families: Iterable[Family]) -> str:
    """The exposition of `families`, in the order given (a family with no samples still
    says what it is, so a dashboard sees the metric exists)."""
    out: list[str] = []
    for family in families:
        out.append(f"# HELP {family.name} {escape_help(family.help)}\n")
        out.append(f"# TYPE {family.name} {family.type}\n")
        out.extend(format_sample(s) for s in family.samples)
    return "".join(out)
