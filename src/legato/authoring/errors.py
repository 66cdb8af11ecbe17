"""Exceptions a DAG author raises or meets.

`Skip` and `Fail` are control flow for task code: they let a task say "this does not apply
today" or "retrying will not help" without the engine guessing from an exception type.
Definition errors are raised while a DAG file is imported, so they name the DAG and task.
"""

from __future__ import annotations

from ..errors import InvalidInput


class Skip(Exception):
    """Raised inside a task to mark it `skipped` (Airflow's AirflowSkipException)."""


class Fail(Exception):
    """Raised inside a task to fail it at once, with no retry (the data will not change)."""


class DagDefinitionError(InvalidInput):
    """A DAG or task is malformed: a bad id, an unknown trigger rule, a duplicate edge target."""


class DagCycleError(DagDefinitionError):
    """The dependencies form a cycle; the message lists the tasks on it in order."""
