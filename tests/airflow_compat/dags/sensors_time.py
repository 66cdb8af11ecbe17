"""TimeDelta, DateTime and Time sensors whose targets are already past succeed at once."""
from datetime import datetime, time, timedelta

from airflow.providers.standard.sensors.date_time import DateTimeSensor
from airflow.providers.standard.sensors.time import TimeSensor
from airflow.providers.standard.sensors.time_delta import TimeDeltaSensor, TimeDeltaSensorAsync
from airflow.sdk import DAG

with DAG("sensors_time", schedule="@daily", start_date=datetime(2024, 1, 1), catchup=False):
    TimeDeltaSensor(task_id="wait_delta", delta=timedelta(minutes=5), poke_interval=1)
    TimeDeltaSensorAsync(task_id="wait_delta_async", delta=timedelta(seconds=1))
    DateTimeSensor(task_id="wait_datetime", target_time="{{ data_interval_end }}",
                   poke_interval=1)
    TimeSensor(task_id="wait_midnight", target_time=time(0, 0), poke_interval=1)
