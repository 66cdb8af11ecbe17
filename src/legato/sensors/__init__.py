"""Sensors: tasks that wait for a condition (a file, an HTTP status, a callable)."""

from .base import BaseSensor
from .file import FileSensor
from .http import HttpSensor
from .python import PythonSensor
from .signals import Defer, Reschedule, SensorTimeout
from .triggers import FileTrigger, HttpTrigger

__all__ = ["BaseSensor", "Defer", "FileSensor", "FileTrigger", "HttpSensor", "HttpTrigger",
           "PythonSensor", "Reschedule", "SensorTimeout"]
