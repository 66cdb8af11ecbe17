"""What cannot run on Legato, and what to use instead: one line per operator, at load time.

Provider packages other than `standard` and `http` (BigQuery, GCS, S3, Snowflake, Slack,
Spark, Kubernetes...) are served as stub modules: importing a name from one raises an
ImportError that names the operator and its `legato.tasks` / `legato.io` replacement, so the
DAG file fails to load with that line (and `legato airflow check` reports it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_GENERIC = "a @task using legato.tasks (PythonTask, ShellTask, HttpTask, SqlTask) or legato.io"

REPLACEMENTS: tuple[tuple[str, str], ...] = (
    ("airflow.providers.google.cloud.operators.bigquery",
     "legato.tasks.SqlTask or legato.io.warehouse.Warehouse (SQLAlchemy URL of BigQuery)"),
    ("airflow.providers.google.cloud.transfers", "legato.io.storage and legato.io.warehouse"),
    ("airflow.providers.google", ("legato.io.storage ('gs://...' URLs through fsspec) or "
                                  "legato.io.warehouse")),
    ("airflow.providers.amazon.aws.operators.redshift", "legato.tasks.SqlTask"),
    ("airflow.providers.amazon.aws.operators.athena", "legato.tasks.SqlTask"),
    ("airflow.providers.amazon", "legato.io.storage ('s3://...' URLs through fsspec)"),
    ("airflow.providers.microsoft.azure", "legato.io.storage ('az://...' URLs through fsspec)"),
    ("airflow.providers.snowflake", ("legato.tasks.SqlTask or legato.io.warehouse.Warehouse "
                                     "(a snowflake:// SQLAlchemy URL)")),
    ("airflow.providers.slack", ("legato.incidents.Slack (DAG incidents=[Slack(url)]) or "
                                 "legato.tasks.HttpTask")),
    ("airflow.providers.apache.spark", "legato.tasks.ShellTask running spark-submit"),
    ("airflow.providers.databricks", "legato.tasks.HttpTask (the Databricks Jobs REST API)"),
    ("airflow.providers.cncf.kubernetes", ("legato.tasks.ShellTask (kubectl) or the Dask "
                                           "executor")),
    ("airflow.providers.docker", "legato.tasks.ShellTask running `docker run`"),
    ("airflow.providers.ssh", "legato.tasks.ShellTask running ssh"),
    ("airflow.providers.sftp", "legato.io.storage ('sftp://...' URLs through fsspec)"),
    ("airflow.providers.postgres", "legato.tasks.SqlTask or legato.io.warehouse.Warehouse"),
    ("airflow.providers.mysql", "legato.tasks.SqlTask or legato.io.warehouse.Warehouse"),
    ("airflow.providers.sqlite", "legato.tasks.SqlTask"),
    ("airflow.providers.common.sql", "legato.tasks.SqlTask or legato.quality checks"),
    ("airflow.providers.smtp", "legato.incidents sinks (on_failure_callback or incidents=)"),
    ("airflow.providers.dbt", "legato.tasks.ShellTask running `dbt build`"),
    ("airflow.operators.email", "legato.incidents sinks (on_failure_callback or incidents=)"),
)


def replacement_for(module: str) -> str:
    for prefix, replacement in REPLACEMENTS:
        if module == prefix or module.startswith(prefix + "."):
            return replacement
    return _GENERIC


class UnsupportedAirflowName(ImportError):
    """A name from an Airflow provider Legato does not run; the message names the replacement."""


def stub_getattr(module: str) -> Callable[[str], Any]:
    def __getattr__(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise UnsupportedAirflowName(
            f"{name} ({module}) does not run on Legato: use {replacement_for(module)}")

    return __getattr__


def check_module(fullname: str) -> None:
    """Return for provider modules (served as stubs); raise for any other unknown name."""
    if fullname.startswith("airflow.providers.") or fullname == "airflow.operators.email":
        return
    raise ModuleNotFoundError(
        f"No module named {fullname!r}: Legato's Airflow compatibility does not serve it; "
        f"use {_GENERIC}", name=fullname)
