"""Legato's own features reached from Airflow DAG files, run unchanged otherwise: incident
sinks given as DAG(incidents=...) or where Airflow puts a failure notifier
(on_failure_callback, on the DAG or in default_args), and outlets feeding the dataset catalog."""

from __future__ import annotations

import textwrap

from incidents.helpers import Recorder, serve
from legato.authoring.loader import load_file

FAILING = """
from datetime import datetime
from airflow.sdk import DAG, Asset, task
from legato.incidents import Webhook

def notify(context):
    with open({called!r}, "a") as f:
        f.write(context["ti"].task_id + "\\n")

with DAG("sinks", schedule=None, start_date=datetime(2024, 1, 1), {dag_args}):
    @task(outlets=[Asset("file:///landing/sales.csv")])
    def produce():
        return 1

    @task
    def breaks():
        raise RuntimeError("fails on purpose")

    produce() >> breaks()
"""


def _load(tmp_path, dag_args: str):
    path = tmp_path / "sinks.py"
    called = str(tmp_path / "called.txt")
    path.write_text(textwrap.dedent(FAILING.format(dag_args=dag_args, called=called)))
    loaded = load_file(path)
    assert loaded.errors == [], loaded.errors
    return loaded.dags[0]


def _opened(hook: Recorder, n: int) -> list[str]:
    return sorted(r.json["incident"]["task_id"] for r in hook.wait_for(n))


def test_dag_incidents_argument_sends_a_failed_task_to_the_sink(tmp_path):
    hook = serve(Recorder())
    try:
        dag = _load(tmp_path, f"incidents=[Webhook({hook.url + '/hook'!r})]")
        assert [s.to_spec()["type"] for s in dag.incidents] == ["webhook"]
        assert dag.run(logical_date="2024-01-03", executor="inline").state == "failed"
        assert _opened(hook, 1) == ["breaks"]
    finally:
        hook.server.shutdown()


def test_sinks_given_as_failure_callbacks_become_the_dags_incident_sinks(tmp_path):
    dag_hook, task_hook = serve(Recorder()), serve(Recorder())
    try:
        dag = _load(tmp_path, (
            f"on_failure_callback=Webhook({dag_hook.url + '/dag'!r}), "
            f"default_args={{'on_failure_callback': [Webhook({task_hook.url + '/task'!r}), "
            "notify]}"))
        assert [s.to_spec()["url"].rsplit("/", 1)[1] for s in dag.incidents] == ["dag", "task"]
        assert dag.on_failure_callback is None            # nothing left to call at DAG level
        result = dag.run(logical_date="2024-01-03", executor="inline")
        assert result.state == "failed" and result.callback_error is None
        assert _opened(dag_hook, 1) == ["breaks"] and _opened(task_hook, 1) == ["breaks"]
        # the Python callback beside the sink is still every task's failure callback
        assert (tmp_path / "called.txt").read_text().split() == ["breaks"]
    finally:
        dag_hook.server.shutdown()
        task_hook.server.shutdown()


def test_outlets_of_an_airflow_task_feed_the_dataset_catalog(tmp_path):
    from legato.config import load_settings
    from legato.services.lineage import list_datasets

    dag = _load(tmp_path, "")
    dag.run(logical_date="2024-01-03", executor="inline")
    [view] = [v for v in list_datasets(load_settings()) if v.uri.endswith("sales.csv")]
    assert view.producers == ["sinks.produce"] and view.last_update is not None
