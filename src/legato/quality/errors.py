"""`DataQualityError`: the one exception the quality gates raise.

It is a `Fail`, so the task fails at once without retry (the data will not change on a second
try), and its class name is what the incident listener keys on ("DataQualityError" in a
TaskFinished's error_type opens a data-quality incident).
"""

from __future__ import annotations

from ..authoring.errors import Fail


class DataQualityError(Fail):
    """Too many records failed their contract, or a dataset drifted past its threshold."""
