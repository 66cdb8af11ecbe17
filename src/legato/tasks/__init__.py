"""Classic tasks: the building blocks users instantiate directly."""

from .branch import BranchTask
from .empty import EmptyTask
from .http import HttpTask
from .python import PythonTask
from .shell import ShellTask
from .sql import SqlTask

__all__ = ["BranchTask", "EmptyTask", "HttpTask", "PythonTask", "ShellTask", "SqlTask"]
