"""The article's `complex_financial_reporting` DAG, runnable offline.

A flaky CRM extract is retried with exponential backoff, the two extracts run in parallel,
an empty purchase-order feed skips the transform and load, and `end` (trigger rule
`all_done`) runs whatever happened upstream.

    legato run examples/complex_financial_reporting.py
    legato run examples/complex_financial_reporting.py --param po_empty=true   # skip path
"""

from datetime import timedelta

from legato import DAG, Skip, task
from legato.tasks import EmptyTask, PythonTask

default_args = {
    "owner": "finance_bi",
    "retries": 3,
    "retry_delay": timedelta(seconds=0.2),     # minutes in production; short to run locally
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(seconds=2),
}


def extract_crm_data(ctx):
    # A transient CRM outage: the first two tries time out, the third gets through.
    if ctx.try_number < 3:
        raise ConnectionError("Temporary CRM API timeout")
    return "CRM data"


def extract_purchase_order_data(params):
    return None if params.get("po_empty") else "PO data"


def transform_data(**context):
    ti = context["ti"]
    crm_data = ti.xcom_pull(task_ids="extract_crm")
    po_data = ti.xcom_pull(task_ids="extract_po")
    if po_data is None:
        raise Skip("Purchase order data was empty, skipping transformation and load.")
    return f"Transformed: {crm_data} + {po_data}"


with DAG(
    "complex_financial_reporting",
    default_args=default_args,
    start_date="2023-01-01",
    schedule="@daily",
    catchup=False,
    params={"po_empty": False},
) as dag:
    start = EmptyTask("start")
    end = EmptyTask("end", trigger_rule="all_done")  # runs even if upstream fails
    extract_crm = PythonTask("extract_crm", extract_crm_data, retries=5)
    extract_po = PythonTask("extract_po", extract_purchase_order_data)
    transform = PythonTask("transform_financial_data", transform_data)

    @task(task_id="load_to_dw")
    def load_to_data_warehouse(transformed_data):
        print(f"Loading: {transformed_data}")
        return len(transformed_data)

    load = load_to_data_warehouse(transform.output)
    start >> [extract_crm, extract_po] >> transform >> load >> end
