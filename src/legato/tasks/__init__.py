"""Classic tasks: the building blocks users instantiate directly."""

from .branch import BranchTask
from .empty import EmptyTask
from .python import PythonTask
from .shell import ShellTask

__all__ = ["BranchTask", "EmptyTask", "PythonTask", "ShellTask"]
