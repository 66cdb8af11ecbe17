"""A manual run's data interval follows the DAG's timezone, like a scheduled run's."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from legato import DAG, task


def test_manual_daily_run_on_spring_forward_day_covers_23_hours_in_dag_zone() -> None:
    ams = ZoneInfo("Europe/Amsterdam")
    with DAG("dst_manual", schedule="@daily", start_date=datetime(2024, 1, 1, tzinfo=ams)) as dag:
        @task
        def interval(ctx=None):
            return [ctx.data_interval_start.isoformat(), ctx.data_interval_end.isoformat()]

        interval()

    result = dag.run(logical_date=datetime(2024, 3, 31, 0, 0, tzinfo=ams))
    start, end = (datetime.fromisoformat(v) for v in result.tasks["interval"].result)
    assert end.astimezone(ams) == datetime(2024, 4, 1, 0, 0, tzinfo=ams)
    assert end - start == timedelta(hours=23)
