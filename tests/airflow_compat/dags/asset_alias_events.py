# dags: asset_alias_producer, asset_event_extra
"""Asset aliases and event extras: outlet_events[alias].add(...), yield Metadata, inlet events."""
from datetime import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, Asset, AssetAlias, Metadata, task

report = Asset("s3://reports/daily.csv")

with DAG("asset_alias_producer", schedule=None, start_date=datetime(2024, 1, 1)):
    @task(outlets=[AssetAlias("example-alias")])
    def produce(*, outlet_events):
        outlet_events[AssetAlias("example-alias")].add(Asset("s3://bucket/my-task"),
                                                       extra={"k": "v"})

    produce()

with DAG("asset_event_extra", schedule=None, start_date=datetime(2024, 1, 1)):
    @task(outlets=[report])
    def write(*, outlet_events):
        outlet_events[report].extra = {"rows": 3}

    @task(outlets=[report])
    def write_again():
        yield Metadata(report, {"rows": 4})

    @task(inlets=[report])
    def read(*, inlet_events):
        for event in inlet_events[report][:-2]:
            print(event.extra)

    BashOperator(task_id="read_classic", inlets=[report],
                 bash_command="echo '{{ inlet_events[\"s3://reports/daily.csv\"] | length }}'")
    write() >> write_again() >> read()
