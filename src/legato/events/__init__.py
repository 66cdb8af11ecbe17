"""Event sources that trigger runs: file arrival, webhook, queue (SPEC section 2).

`from legato import events` gives the triggers users write; the listener and the broker
sources are imported only by the scheduler that runs them.
"""

from .triggers import EventTrigger, FileArrival, Queue, Webhook

__all__ = ["EventTrigger", "FileArrival", "Queue", "Webhook"]
