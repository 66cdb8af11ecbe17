"""Task groups: prefixed task ids, group default_args, and groups as dependency operands.

A group is an authoring-time construct only (as in Airflow): its tasks are ordinary tasks
of the DAG whose ids carry the group prefix (`group.task`); `group >> x` links the group's
leaves to x and `x >> group` links x to its roots. `with setup_or_teardown:` blocks wire the
tasks created inside between a setup and its teardown.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from typing import Any

from .exceptions import AirflowException
from .models import DependencyMixin

_local = threading.local()


def _groups() -> list[TaskGroup]:
    if not hasattr(_local, "groups"):
        _local.groups = []
    return _local.groups


def current_group(dag: Any) -> TaskGroup | None:
    groups = _groups()
    return groups[-1] if groups and groups[-1].dag is dag else None


class TaskGroup(DependencyMixin):
    def __init__(self, group_id: str | None, prefix_group_id: bool = True,
                 parent_group: TaskGroup | None = None, dag: Any = None,
                 default_args: dict[str, Any] | None = None, tooltip: str = "",
                 ui_color: str = "CornflowerBlue", ui_fgcolor: str = "#000",
                 add_suffix_on_collision: bool = False, group_display_name: str = "") -> None:
        from ...authoring.dag import current_dag

        self.dag = dag or (parent_group.dag if parent_group else None) or current_dag()
        if self.dag is None:
            raise AirflowException(f"TaskGroup {group_id!r} must be created inside a DAG")
        self.parent_group = parent_group if parent_group is not None else current_group(self.dag)
        self.prefix_group_id = prefix_group_id
        self.default_args = dict(default_args or {})
        self.tooltip = tooltip
        self.children: dict[str, Any] = {}
        self._label = group_id
        full = self.parent_group.child_id(group_id) if self.parent_group else group_id
        taken = _group_ids(self.dag)
        if full in taken:
            if not add_suffix_on_collision:
                raise AirflowException(f"group_id '{full}' has already been added to the DAG")
            n = 1
            while f"{full}__{n}" in taken:
                n += 1
            full, self._label = f"{full}__{n}", f"{group_id}__{n}"
        self.group_id = full
        taken.add(full)
        self.dag._airflow_groups = {**getattr(self.dag, "_airflow_groups", {}), full: self}
        if self.parent_group is not None:
            self.parent_group.children[full] = self

    def child_id(self, label: str) -> str:
        if self.prefix_group_id and self.group_id:
            return f"{self.group_id}.{label}"
        return self.parent_group.child_id(label) if self.parent_group else label

    def add(self, task: Any) -> None:
        self.children[task.task_id] = task

    def __enter__(self) -> TaskGroup:
        _groups().append(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        _groups().remove(self)

    def __iter__(self) -> Iterator[Any]:
        for child in self.children.values():
            if isinstance(child, TaskGroup):
                yield from child
            else:
                yield child

    def get_roots(self) -> list[Any]:
        ids = {t.task_id for t in self}
        return [t for t in self if not set(t.upstream_task_ids) & ids]

    def get_leaves(self) -> list[Any]:
        tasks = list(self)
        ids = {t.task_id for t in tasks}
        out: list[Any] = []
        for t in tasks:
            if set(t.downstream_task_ids) & ids:
                continue
            if not getattr(t, "is_teardown", False):
                out.append(t)
            else:
                out.extend(_first_non_teardown(t, ids))
        return list(dict.fromkeys(out))

    @property
    def upstream_list(self) -> list[Any]:
        return self.get_roots()

    def set_downstream(self, other: Any) -> None:
        for leaf in self.get_leaves():
            leaf.set_downstream(other)

    def set_upstream(self, other: Any) -> None:
        for root in self.get_roots():
            root.set_upstream(other)

    def __repr__(self) -> str:
        return f"<TaskGroup {self.group_id!r}>"


def _group_ids(dag: Any) -> set[str]:
    if not hasattr(dag, "_airflow_group_ids"):
        dag._airflow_group_ids = set()
    return dag._airflow_group_ids


def _has_non_teardown_downstream(task: Any, exclude: str, ids: set[str]) -> bool:
    for d in task.downstream_list:
        if d.task_id != exclude and d.task_id in ids and not getattr(d, "is_teardown", False):
            return True
    return False


def _first_non_teardown(task: Any, ids: set[str]) -> Iterator[Any]:
    for up in task.upstream_list:
        if up.task_id not in ids:
            continue
        if getattr(up, "is_teardown", False):
            yield from _first_non_teardown(up, ids)
        elif task.is_teardown and getattr(up, "is_setup", False):
            continue
        elif not _has_non_teardown_downstream(up, task.task_id, ids):
            yield up


class _TaskGroupFactory:
    """What `@task_group` returns: calling it builds the group and returns the function's
    result (so dependencies bind to it), or the group when the function returns nothing."""

    def __init__(self, fn: Callable[..., Any], options: dict[str, Any]) -> None:
        self.fn, self.options = fn, options
        functools.update_wrapper(self, fn)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        options = dict(self.options)
        group_id = options.pop("group_id", None) or self.fn.__name__
        options.setdefault("add_suffix_on_collision", True)
        options.setdefault("tooltip", self.fn.__doc__ or "")
        with TaskGroup(group_id, **options) as group:
            result = self.fn(*args, **kwargs)
        return group if result is None else result

    def override(self, **options: Any) -> _TaskGroupFactory:
        return _TaskGroupFactory(self.fn, {**self.options, **options})

    def partial(self, **kwargs: Any) -> Any:
        raise AirflowException(f"task group {self.fn.__name__!r}: mapped task groups "
                               "(.partial/.expand) do not run on Legato yet; map the tasks "
                               "inside the group instead")

    expand = partial
    expand_kwargs = partial


def task_group(python_callable: Callable[..., Any] | None = None, **options: Any) -> Any:
    if python_callable is not None and callable(python_callable) and not options:
        return _TaskGroupFactory(python_callable, {})
    if isinstance(python_callable, str):
        options["group_id"] = python_callable
    return lambda fn: _TaskGroupFactory(fn, options)


# -- `with setup:` / `with teardown.as_teardown(setups=...):` blocks -----------------------
def push_setup_scope(op: Any) -> None:
    if not hasattr(_local, "scopes"):
        _local.scopes = []
    _local.scopes.append((op, set(op.dag.tasks)))


def pop_setup_scope(op: Any) -> None:
    _scope_op, before = _local.scopes.pop()
    new = [t for tid, t in op.dag.tasks.items() if tid not in before]
    ids = {t.task_id for t in new}
    roots = [t for t in new if not set(t.upstream_task_ids) & ids]
    leaves = [t for t in new if not set(t.downstream_task_ids) & ids]
    if op.is_teardown:
        setups = [u for u in op.upstream_list if getattr(u, "is_setup", False)]
        for s in setups:
            s >> roots
        for leaf in leaves:
            leaf >> op
    else:
        op >> roots
        for td in [d for d in op.downstream_list if getattr(d, "is_teardown", False)]:
            for leaf in leaves:
                leaf >> td
