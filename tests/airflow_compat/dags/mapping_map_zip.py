"""XComArg.map() transforms each element; .zip() pairs two lists."""
from datetime import datetime

from airflow.exceptions import AirflowSkipException
from airflow.sdk import DAG, task

with DAG("mapping_map_zip", schedule=None, start_date=datetime(2024, 1, 1)):
    @task
    def names():
        return ["alpha", "beta", "skip-me", "gamma"]

    def upper(name):
        if name.startswith("skip"):
            raise AirflowSkipException("not this one")
        return name.upper()

    @task
    def shout(name):
        return name + "!"

    @task
    def numbers():
        return [1, 2, 3]

    @task
    def letters():
        return ["x", "y", "z"]

    @task
    def pair(both):
        n, letter = both
        return f"{n}{letter}"

    shout.expand(name=names().map(upper))
    pair.expand(both=numbers().zip(letters()))
