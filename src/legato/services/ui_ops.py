"""What the web UI shows around the operator actions on a run (issue 12): which controls a
run offers, the states of the tasks a confirmation lists, and the one-line message shown
after an action. Pure functions over the read models of ui_views; the actions themselves
are services/run_ops.py.

The message after an action travels in the redirect's query as a short code
(`done=clear:3`, `done=mark:success:2`, `done=cancel`, `done=clear:3:pending`) and is
turned back into text here; a code this module does not know shows nothing, so a crafted
link cannot put words on the page.
"""

from __future__ import annotations

from collections import defaultdict

from .ui_views import RunView, fold_states

ACTIVE_RUN = ("queued", "running")
FAILED = ("failed", "upstream_failed")
PENDING = ("scheduled", "queued", "running", "deferred")      # a clear leaves these as they are
MARK_CHOICES = ("success", "failed")
OPTIONS = ("downstream", "upstream", "only_failed")
MAX_DONE_CHARS = 60


def _by_task(view: RunView) -> dict[str, list[str]]:
    """The states of each task's instances, tasks in the DAG's order."""
    by_task: dict[str, list[str]] = defaultdict(list)
    for i in view.instances:
        by_task[i.task_id].append(i.state)
    return by_task


def task_states(view: RunView) -> dict[str, str]:
    """Each task of the run with its state (folded over map indexes), in the DAG's order."""
    return {t: fold_states(states) for t, states in _by_task(view).items()}


def waiting_tasks(view: RunView) -> set[str]:
    """Tasks whose every instance is already waiting or running: a clear leaves them alone
    (they will run anyway; engine/operations.py)."""
    return {t for t, states in _by_task(view).items() if all(s in PENDING for s in states)}


def can_cancel(view: RunView) -> bool:
    return view.run.state in ACTIVE_RUN


def can_retry(view: RunView) -> bool:
    """A retry has something to do: an instance failed or did not run because one did."""
    return any(i.state in FAILED for i in view.instances)


def done_code(action: str, count: int | None = None, state: str | None = None,
              applied: bool = True) -> str:
    """The short code of an action's outcome, for the redirect's `done` query value."""
    parts = [action, *([state] if state else []), *([str(count)] if count is not None else [])]
    return ":".join(parts + ([] if applied else ["pending"]))


def _tasks(count: str) -> str | None:
    if not count.isdigit() or len(count) > 6:
        return None
    return "1 task" if count == "1" else f"{count} tasks"


def done_text(code: str | None) -> str | None:
    """The message for a `done` code (None for no code or one this module did not write)."""
    if not code or len(code) > MAX_DONE_CHARS:
        return None
    parts = code.split(":")
    pending = parts[-1] == "pending"
    if pending:
        parts = parts[:-1]
    text = _text(parts)
    if text is None or not pending:
        return text
    return (text.rstrip(".") + " — asked of the scheduler driving this run, which has not "
            "applied it yet; the page updates when it does.")


def _text(parts: list[str]) -> str | None:
    match parts:
        case ["clear", count] if _tasks(count):
            return f"Cleared {_tasks(count)}: {'it runs' if count == '1' else 'they run'} again in this run."
        case ["retry", count] if _tasks(count):
            return f"Retrying from failure: {_tasks(count)} cleared to run again."
        case ["mark", state, count] if state in MARK_CHOICES and _tasks(count):
            return f"Marked {_tasks(count)} {state}."
        case ["cancel"]:
            return "Run cancelled."
        case ["note"]:
            return "Note saved."
        case ["note", "removed"]:
            return "Note removed."
    return None
