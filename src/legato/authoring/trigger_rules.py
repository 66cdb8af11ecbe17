"""The trigger rules: the one list of names a task's `trigger_rule` may be.

Authoring validates against it, the engine's readiness (engine/readiness.py) has one decision
per member, and the Airflow layer (compat/airflow/enums.py) builds Airflow's `TriggerRule` from
it. A `StrEnum`, so each member equals the plain string that is stored in a DAG's spec.
"""

from __future__ import annotations

from enum import StrEnum


class TriggerRule(StrEnum):
    ALL_SUCCESS = "all_success"
    ALL_FAILED = "all_failed"
    ALL_DONE = "all_done"
    ONE_SUCCESS = "one_success"
    ONE_FAILED = "one_failed"
    NONE_FAILED = "none_failed"
    NONE_FAILED_MIN_ONE_SUCCESS = "none_failed_min_one_success"
    NONE_SKIPPED = "none_skipped"
    ALWAYS = "always"
    ONE_DONE = "one_done"
    ALL_SKIPPED = "all_skipped"
    ALL_DONE_MIN_ONE_SUCCESS = "all_done_min_one_success"
    ALL_DONE_SETUP_SUCCESS = "all_done_setup_success"
