"""Airflow's string enums (trigger rules, states, run types): str subclasses, so they compare
equal to the plain strings Legato stores."""

from __future__ import annotations

from enum import StrEnum

from ...authoring.trigger_rules import TriggerRule as LegatoTriggerRule


class _TriggerRuleBase(StrEnum):
    """Airflow's class methods on its TriggerRule."""

    @classmethod
    def is_valid(cls, trigger_rule: str) -> bool:
        return trigger_rule in cls.all_triggers()

    @classmethod
    def all_triggers(cls) -> set[str]:
        return {r.value for r in cls}


# Airflow's TriggerRule: Legato's list (legato.authoring.trigger_rules, the one list) and the
# two old names Airflow still accepts (mapped by LEGACY_RULES below).
TriggerRule = _TriggerRuleBase(
    "TriggerRule",
    [(r.name, r.value) for r in LegatoTriggerRule]
    + [("NONE_FAILED_OR_SKIPPED", "none_failed_or_skipped"), ("DUMMY", "dummy")],
    module=__name__, qualname="TriggerRule",
)


class TaskInstanceState(StrEnum):
    REMOVED = "removed"
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    RESTARTING = "restarting"
    FAILED = "failed"
    UP_FOR_RETRY = "up_for_retry"
    UP_FOR_RESCHEDULE = "up_for_reschedule"
    UPSTREAM_FAILED = "upstream_failed"
    SKIPPED = "skipped"
    DEFERRED = "deferred"


class DagRunState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"


class State:
    SUCCESS = TaskInstanceState.SUCCESS
    FAILED = TaskInstanceState.FAILED
    SKIPPED = TaskInstanceState.SKIPPED
    UPSTREAM_FAILED = TaskInstanceState.UPSTREAM_FAILED
    RUNNING = TaskInstanceState.RUNNING
    QUEUED = TaskInstanceState.QUEUED
    SCHEDULED = TaskInstanceState.SCHEDULED
    NONE = None
    finished = frozenset({SUCCESS, FAILED, SKIPPED, UPSTREAM_FAILED})
    failed_states = frozenset({FAILED, UPSTREAM_FAILED})
    success_states = frozenset({SUCCESS, SKIPPED})


class DagRunType(StrEnum):
    BACKFILL_JOB = "backfill"
    SCHEDULED = "scheduled"
    MANUAL = "manual"
    ASSET_TRIGGERED = "asset_triggered"


class WeightRule(StrEnum):
    DOWNSTREAM = "downstream"
    UPSTREAM = "upstream"
    ABSOLUTE = "absolute"


# Airflow's old name for none_failed_min_one_success.
LEGACY_RULES = {"none_failed_or_skipped": "none_failed_min_one_success", "dummy": "always"}


class WeekDay(StrEnum):
    """`airflow.utils.weekday.WeekDay` (compared by name, e.g. "MONDAY")."""

    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"

    @classmethod
    def get_weekday_number(cls, week_day_str: str) -> int:
        return list(cls).index(cls(week_day_str.upper())) + 1
