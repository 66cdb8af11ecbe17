"""`BranchTask`: see tasks/python.py; it is a PythonTask whose result chooses the path."""

from .python import BranchTask

__all__ = ["BranchTask"]
