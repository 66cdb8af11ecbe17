"""The demo pipeline: the article's failure modes in four small tasks.

- `extract` calls a flaky "CRM": its first try times out and the retry succeeds. It reads
  the CRM token from the encrypted store (`legato variables get demo_api_token`) and logs
  it, so the try's log shows `***` instead.
- `validate_orders` checks the orders against a contract; the malformed ones go to the
  dead-letter store (`legato dlq list`), the valid ones flow on.
- `load` keeps the valid orders (stands in for the warehouse).
- `revenue_report` fails (the finance warehouse is "locked"), which opens an incident
  (`legato incidents list`); the run ends failed.
"""

from datetime import timedelta

from legato import DAG, task
from legato.quality import Contract, validate

ORDER = Contract({
    "type": "object",
    "required": ["order_id", "customer", "amount"],
    "properties": {
        "order_id": {"type": "string"},
        "customer": {"type": "string", "minLength": 1},
        "amount": {"type": "number", "minimum": 0},
    },
}, name="demo_order")


def _orders():
    orders = [{"order_id": f"SO-{i:03d}", "customer": f"C{i % 7}", "amount": 10.0 * i}
              for i in range(1, 21)]
    orders[4]["amount"] = -50.0             # a refund booked as a sale
    del orders[11]["customer"]              # the CRM lost the customer
    orders[17]["amount"] = "n/a"            # a text export in a number column
    return orders


with DAG("legato_demo", start_date="2024-01-01", schedule="@daily", catchup=False,
         tags=["demo"], default_args={"owner": "demo", "retries": 2,
                                      "retry_delay": timedelta(seconds=0.1)}) as dag:

    @task
    def extract(ctx):
        token = ctx.var("demo_api_token")
        ctx.log.info("calling the CRM with token %s", token)
        if ctx.try_number < 2:
            raise ConnectionError("CRM API timed out (try 1 of a flaky source)")
        return _orders()

    @task
    def validate_orders(orders):
        return validate(orders, ORDER, max_reject_ratio=0.2, source="crm/orders.json")

    @task
    def load(orders):
        return {"loaded": len(orders), "revenue": sum(o["amount"] for o in orders)}

    @task(retries=0)
    def revenue_report(summary):
        raise RuntimeError("finance warehouse table 'revenue_daily' is locked by a "
                           f"maintenance job; {summary['loaded']} orders not reported")

    revenue_report(load(validate_orders(extract())))
