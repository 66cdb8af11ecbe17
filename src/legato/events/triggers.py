"""The event triggers, under the name users and the brokers import them by.

They are declarations a DAG's `schedule` holds, so they live in `legato.authoring.triggers`
(authoring decodes stored schedules back into them and must not import this package, which
also holds the listener and the broker sources). This module keeps `legato.events.triggers`
working.
"""

from __future__ import annotations

from ..authoring.triggers import QUEUE_SCHEMES, EventTrigger, FileArrival, Queue, Webhook, _check_name

__all__ = ["QUEUE_SCHEMES", "EventTrigger", "FileArrival", "Queue", "Webhook", "_check_name"]
