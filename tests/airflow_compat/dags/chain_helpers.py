"""chain (pairwise lists), chain_linear, cross_downstream and edge labels."""
from datetime import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, Label, chain, chain_linear, cross_downstream


def e(name):
    return EmptyOperator(task_id=name)


with DAG("chain_helpers", schedule=None, start_date=datetime(2024, 1, 1)):
    chain(e("a"), [e("b1"), e("b2")], [e("c1"), BashOperator(task_id="c2", bash_command="exit 1")], e("d"))
    chain_linear(e("x"), [e("y1"), e("y2")], e("z"))
    cross_downstream([e("p1"), e("p2")], [e("q1"), e("q2")])
    check = e("check")
    check >> Label("valid") >> e("load")
    check >> Label("invalid") >> e("alert")
