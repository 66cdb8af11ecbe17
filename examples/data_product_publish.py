"""A data-mesh product, gated by drift before it is published (article: "The Future Stage:
AI-Driven Orchestration and the Rise of Data Mesh", `validate_and_publish_domain_data`).

What the article asked: the supply-chain domain publishes its purchase-order data as a
product for other domains; before publishing, a validation service profiles the dataset
against its reference and scores anomalies; clean data is published to the mesh catalog with
its lineage, anomalous data is rerouted to quarantine and a P2 ticket goes to the domain team
with the indicators.

What this shows, the Legato way:
- the product as a `Dataset(..., product=True)` with an owner, a domain, a contract (its
  schema) and a freshness SLO: the catalog (`legato datasets list`) shows it, consumers
  schedule on it (see `lineage_catalog.py`);
- `validate()` against that contract, then `drift_gate()`: the day's profile (amounts,
  vendor mix, quantities) compared with the reference (the first accepted day) by PSI and KS;
  drifted data is written to quarantine, the report kept (`legato quality reports`), and the
  task fails with `DataQualityError`, so `publish` never runs that day;
- the ticket to the domain team as the DAG's `Jira` sink (High = the article's P2, labels,
  component); it carries the drifted columns and their scores;
- `max_active_runs=1`: a backfill judges the days in order, each against the reference.

Run it: `legato demo data_product_publish` backfills four days; the fourth is the stand-in's
drift day (amounts x4, one vendor takes most orders): held, quarantined, ticketed.
"""

from datetime import timedelta

from legato import DAG, Dataset, task
from legato.incidents import Jira
from legato.io.http import fetch_all
from legato.io.warehouse import Warehouse
from legato.quality import Contract, drift_gate, validate

ORDER_LINE = Contract({
    "type": "object", "required": ["po_id", "vendor_id", "product_sku", "quantity", "amount"],
    "properties": {"po_id": {"type": "string"}, "vendor_id": {"type": "string"},
                   "product_sku": {"type": "string"}, "quantity": {"type": "integer", "minimum": 1},
                   "amount": {"type": "number", "minimum": 0}, "order_date": {"type": "string"}},
}, name="supply_chain_purchase_order_line")
ORDERS_API = Dataset("https://procurement.example.com/v1/orders", owner="procurement@example.com",
                     domain="supply_chain", description="The purchase-order system's REST API")
PRODUCT = Dataset("duckdb://warehouse/product_purchase_orders_daily", product=True,
                  owner="supply-chain-data@example.com", domain="supply_chain",
                  description="Approved purchase orders per day, drift-checked",
                  schema=ORDER_LINE, freshness=timedelta(hours=26))

with DAG("data_product_publish", schedule="@daily", start_date="2024-03-01", catchup=False,
         max_active_runs=1, tags=["article", "data-mesh", "quality"], domain="supply_chain",
         default_args={"owner": "supply_chain_data", "retries": 1},
         incidents=[Jira(conn_id="helpdesk", project="SCM", priority="High",
                         labels=["data-product", "supply_chain", "drift"],
                         components=["supply-chain-data"])]) as dag:

    @task(inlets=[ORDERS_API])
    def extract_domain_data(ctx):
        orders = fetch_all("/v1/orders", conn="procurement_api", records="orders",
                           paginate="cursor", cursor_path="next_page", cursor_param="page",
                           params={"date": ctx.ds, "status": "approved"}, backoff_s=0.2, max_wait=10)
        return [{"po_id": o["id"], "vendor_id": o["vendor_id"], "product_sku": o["product_sku"],
                 "quantity": o["quantity"], "amount": o["amount"], "order_date": ctx.ds}
                for o in orders]

    @task
    def validate_domain_data(rows, ctx):
        valid = validate(rows, ORDER_LINE, max_reject_ratio=0.01, source=f"orders-api/{ctx.ds}")
        return drift_gate(valid, dataset="supply_chain.purchase_orders_daily",
                          columns=["vendor_id", "amount", "quantity"])

    @task(inlets=[ORDERS_API], outlets=[PRODUCT])      # lineage: what the product derives from
    def publish_to_data_mesh(rows, ctx):
        return Warehouse().load("product_purchase_orders_daily", rows, mode="replace_partition",
                                partition={"order_date": ctx.ds}, schema=ORDER_LINE).to_json()

    publish_to_data_mesh(validate_domain_data(extract_domain_data()))
