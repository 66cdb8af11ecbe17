"""Legato: pipelines as Python code, durable state, and the operational loop built in.

Only the authoring names live here; the engine, store and server are imported when used so
that `import legato` stays fast.
"""

from . import events  # triggers only: no broker client or fsspec import
from .authoring.dag import DAG
from .authoring.dataset import Dataset
from .authoring.errors import DagCycleError, DagDefinitionError, Fail, Skip
from .authoring.task import chain, cross_downstream
from .tasks.decorators import task

__version__ = "0.1.0"
__all__ = [
    "DAG", "Dataset", "DagCycleError", "DagDefinitionError", "Fail", "Skip", "chain",
    "cross_downstream", "events", "mask_secret", "task",
]


def mask_secret(value: object) -> None:
    """Replace `value` with `***` in every task log line and stored error of this process
    from now on (values under 4 characters are ignored). Imported lazily: `import legato`
    stays light."""
    from .security.masking import mask_secret as _mask_secret

    _mask_secret(value)
