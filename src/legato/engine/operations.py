"""Operator actions on a run — clear, mark — as pure plans over its instances. No I/O.

Whoever applies a plan (the run's owner under its fence, or the requester when nobody drives
the run) turns it into row changes; this module only decides which task instances change
and how, so both paths make the same decision.

Rules (Airflow's where it has one):
- The tasks chosen, plus with `downstream` everything after them and with `upstream`
  everything before them; `only_failed` keeps those failed or upstream_failed.
- A clear puts the chosen instances back to `scheduled`, keeping their try numbers (the next
  try of a task that had 1 is try 2) and dropping their results. An instance already waiting
  or running (scheduled, queued, running, deferred) is left as it is: it will run anyway, so
  two clears at once never run a task twice. One waiting for its retry runs at once.
- A mapped task whose list comes from a cleared upstream goes back to one unexpanded
  instance, to be expanded again from the new list; mapped over a literal or an upstream left
  alone, each of its instances is cleared.
- A mark sets the chosen instances' state (success, failed or skipped) without running them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..authoring.spec import DagSpec
from ..errors import InvalidInput, NotFound
from .states import TaskState

TIKey = tuple[str, int]
MARK_STATES = ("success", "failed", "skipped")
PENDING = frozenset({TaskState.SCHEDULED, TaskState.QUEUED, TaskState.RUNNING,
                     TaskState.DEFERRED})
FAILED_STATES = frozenset({TaskState.FAILED, TaskState.UPSTREAM_FAILED})


class UnknownTasks(NotFound):
    """Task ids the run's DAG does not have (named in the message)."""


def _closure(spec: DagSpec, start: Iterable[str], direction: str) -> set[str]:
    found: set[str] = set()
    todo = list(start)
    while todo:
        task_id = todo.pop()
        for nxt in getattr(spec.tasks[task_id], direction):
            if nxt not in found:
                found.add(nxt)
                todo.append(nxt)
    return found


def select(spec: DagSpec, states: Mapping[str, Mapping[int, TaskState]], task_ids: Iterable[str],
           *, downstream: bool = False, upstream: bool = False,
           only_failed: bool = False) -> list[str]:
    """The task ids an action applies to, in the DAG's order (see the module docstring)."""
    chosen = list(dict.fromkeys(task_ids))
    unknown = [t for t in chosen if t not in spec.tasks]
    if unknown:
        raise UnknownTasks(f"DAG {spec.dag_id!r} has no task {', '.join(map(repr, unknown))}")
    wanted = set(chosen)
    if downstream:
        wanted |= _closure(spec, chosen, "downstream")
    if upstream:
        wanted |= _closure(spec, chosen, "upstream")
    if only_failed:
        wanted = {t for t in wanted if any(s in FAILED_STATES for s in states.get(t, {}).values())}
    return [t for t in spec.order if t in wanted]


def retry_selection(spec: DagSpec, states: Mapping[str, Mapping[int, TaskState]]) -> list[str]:
    """Re-run from failure: every failed or upstream_failed task and what depends on them."""
    failed = [t for t in spec.order
              if any(s in FAILED_STATES for s in states.get(t, {}).values())]
    return select(spec, states, failed, downstream=True) if failed else []


@dataclass
class ClearPlan:
    reset: list[TIKey] = field(default_factory=list)      # back to scheduled, try kept
    drop: list[TIKey] = field(default_factory=list)       # expanded instances to delete
    add: list[TIKey] = field(default_factory=list)        # unexpanded instances to insert
    results_of: list[str] = field(default_factory=list)   # tasks whose results are dropped

    def __bool__(self) -> bool:
        return bool(self.reset or self.drop or self.add)


def plan_clear(spec: DagSpec, states: Mapping[str, Mapping[int, TaskState]],
               task_ids: Iterable[str]) -> ClearPlan:
    """The row changes of clearing `task_ids` (already selected) in a run in `states`."""
    chosen = set(task_ids)
    plan = ClearPlan()
    for task_id in spec.order:
        if task_id not in chosen or task_id not in states:
            continue
        instances = states[task_id]
        if all(s in PENDING for s in instances.values()):
            continue                                  # it will run anyway
        t = spec.tasks[task_id]
        plan.results_of.append(task_id)
        remap = t.is_mapped and any(s.upstream in chosen for s in t.map_sources)
        if remap and set(instances) != {-1}:
            plan.drop.extend((task_id, i) for i in instances)
            plan.add.append((task_id, -1))
            continue
        plan.reset.extend((task_id, i) for i, s in instances.items() if s not in PENDING)
    return plan


def plan_mark(states: Mapping[str, Mapping[int, TaskState]], task_ids: Iterable[str],
              state: str) -> list[TIKey]:
    """The instances a mark changes: every instance of the tasks not already in `state`."""
    if state not in MARK_STATES:
        raise InvalidInput(f"a task can be marked {', '.join(MARK_STATES)}, not {state!r}")
    target = TaskState(state)
    return [(t, i) for t in task_ids for i, s in states.get(t, {}).items() if s is not target]
