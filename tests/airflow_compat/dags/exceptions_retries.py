"""AirflowSkipException skips; AirflowFailException fails without retry; other errors retry."""
from datetime import datetime, timedelta

from airflow.exceptions import AirflowException, AirflowFailException, AirflowSkipException
from airflow.sdk import DAG, task

with DAG("exceptions_retries", schedule=None, start_date=datetime(2024, 1, 1),
         default_args={"retries": 2, "retry_delay": timedelta(seconds=1)}):
    @task
    def skipper():
        raise AirflowSkipException("skip")

    @task
    def fail_fast(ti=None):
        if ti.try_number > 1:
            raise RuntimeError("should not have been retried")
        raise AirflowFailException("no point retrying")

    @task
    def flaky(ti=None):
        if ti.try_number < 3:
            raise AirflowException(f"try {ti.try_number} fails")
        return ti.try_number

    @task(retries=0)
    def no_retries():
        raise KeyError("missing")

    skipper()
    fail_fast()
    flaky()
    no_retries()
