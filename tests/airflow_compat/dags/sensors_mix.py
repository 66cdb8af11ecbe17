"""Many sensors in one DAG, some timing out softly, joined by a none_failed task."""
import datetime

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.sensors.bash import BashSensor
from airflow.providers.standard.sensors.python import PythonSensor
from airflow.providers.standard.sensors.time import TimeSensor
from airflow.providers.standard.sensors.time_delta import TimeDeltaSensor
from airflow.providers.standard.sensors.weekday import DayOfWeekSensor
from airflow.providers.standard.utils.weekday import WeekDay
from airflow.sdk import DAG
from airflow.utils.trigger_rule import TriggerRule

with DAG("sensors_mix", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
         catchup=False):
    now = datetime.datetime.now(tz=datetime.UTC)
    waits = [
        TimeDeltaSensor(task_id="delta_two_seconds", delta=datetime.timedelta(seconds=2)),
        TimeSensor(task_id="time_already_past", target_time=(now - datetime.timedelta(minutes=1)).time()),
        TimeSensor(task_id="time_in_an_hour", timeout=1, soft_fail=True, poke_interval=1,
                   target_time=(now + datetime.timedelta(hours=1)).time()),
        BashSensor(task_id="bash_ok", bash_command="exit 0"),
        BashSensor(task_id="bash_never", timeout=2, poke_interval=1, soft_fail=True,
                   bash_command="exit 1"),
        PythonSensor(task_id="python_ok", python_callable=lambda: True),
        DayOfWeekSensor(task_id="wednesday_logical", week_day=WeekDay.WEDNESDAY,
                        use_task_logical_date=True, timeout=2, poke_interval=1, soft_fail=True),
        DayOfWeekSensor(task_id="thursday_logical", week_day={WeekDay.THURSDAY, WeekDay.FRIDAY},
                        use_task_logical_date=True, timeout=2, poke_interval=1, soft_fail=True),
    ]
    report = BashOperator(task_id="report", bash_command="date")
    report.trigger_rule = TriggerRule.NONE_FAILED
    waits >> report
