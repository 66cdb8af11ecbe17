"""`airflow.exceptions`: Airflow's control-flow exceptions mapped onto Legato's outcomes.

AirflowSkipException is a `legato.Skip` (the task is skipped), AirflowFailException and
AirflowSensorTimeout are `legato.Fail` (failed, no retry); anything else fails the try and
is retried by the task's policy, as in Airflow.
"""

from __future__ import annotations

from typing import Any

from ...authoring.errors import Fail, Skip


class AirflowException(Exception):
    status_code = 500


class AirflowSkipException(AirflowException, Skip):
    """Raised in a task: the task is skipped."""


class AirflowFailException(AirflowException, Fail):
    """Raised in a task: the task fails at once, with no retry."""


class AirflowSensorTimeout(AirflowException, Fail):
    """A sensor waited past its timeout."""


class AirflowTaskTimeout(AirflowException):
    pass


class AirflowTaskTerminated(AirflowException):
    pass


class AirflowNotFoundException(AirflowException):
    status_code = 404


class AirflowBadRequest(AirflowException):
    status_code = 400


class AirflowConfigException(AirflowException):
    pass


class ParamValidationError(AirflowException, ValueError):
    """A run's params do not satisfy their schema: the run is refused (as Airflow does)."""


class DagNotFound(AirflowNotFoundException):
    pass


class TaskNotFound(AirflowNotFoundException):
    pass


class DuplicateTaskIdFound(AirflowException):
    pass


class AirflowRescheduleException(AirflowException):
    def __init__(self, reschedule_date: Any) -> None:
        super().__init__(f"rescheduled to {reschedule_date}")
        self.reschedule_date = reschedule_date


class TaskDeferred(AirflowException):  # Airflow's name
    def __init__(self, *, trigger: Any = None, method_name: str = "execute_complete",
                 kwargs: dict[str, Any] | None = None, timeout: Any = None) -> None:
        super().__init__("task deferred")
        self.trigger, self.method_name, self.kwargs, self.timeout = trigger, method_name, kwargs, timeout


class DownstreamTasksSkipped(AirflowException):  # Airflow's name
    def __init__(self, *, tasks: Any) -> None:
        super().__init__(f"skipping {tasks}")
        self.tasks = tasks


class AirflowProviderDeprecationWarning(DeprecationWarning):
    pass


class RemovedInAirflow3Warning(DeprecationWarning):
    pass
