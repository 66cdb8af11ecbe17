"""template_ext and template_searchpath: a custom operator reads a .sql file and renders it."""
import os
from datetime import datetime

from airflow.sdk import DAG, BaseOperator


class RenderSql(BaseOperator):
    template_fields = ("sql",)
    template_ext = (".sql",)

    def __init__(self, sql, **kwargs):
        super().__init__(**kwargs)
        self.sql = sql

    def execute(self, context):
        assert "2024-01-03" in self.sql and "'ops'" in self.sql, self.sql
        return self.sql.strip()


with DAG("templates_ext", schedule=None, start_date=datetime(2024, 1, 1),
         template_searchpath=[os.path.join(os.path.dirname(__file__), "sql")]):
    RenderSql(task_id="render", sql="count_rows.sql", params={"team": "ops"})
    RenderSql(task_id="missing_file", sql="no_such_file.sql")
