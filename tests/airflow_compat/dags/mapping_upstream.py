"""Mapping over an upstream result, with partial() and several mapped arguments (a product)."""
from datetime import datetime

from airflow.sdk import DAG, task

with DAG(dag_id="mapping_upstream", schedule=None, start_date=datetime(2024, 1, 1)):
    @task
    def make_list():
        return [1, 2, 3, 4]

    @task
    def letters():
        return ["a", "b"]

    @task
    def combine(number, letter, prefix):
        return f"{prefix}{number}{letter}"

    @task
    def collect(values):
        assert list(values) == ["x1a", "x1b", "x2a", "x2b", "x3a", "x3b", "x4a", "x4b"], values

    collect(combine.partial(prefix="x").expand(number=make_list(), letter=letters()))
