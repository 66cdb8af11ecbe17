"""Lineage and the catalog: a consumer domain on the supply-chain data product (article:
"Architecting Your Score", the data asset catalog and governance layer, and "The Future
Stage": other domains such as Inventory Optimization rely on the product without manual
integration).

What the article asked: a system of record that tracks data lineage (OpenLineage), metadata
and owners, so that every dataset orchestrated, from the DDoS log stream to the purchase-order
export, is discoverable and trustworthy; and domains that consume each other's products
reliably.

What this shows, the Legato way:
- `inventory_forecast` is scheduled on the product itself (`schedule=[Dataset(...)]`): it runs
  when `data_product_publish` has published a new day, never on a held one;
- its inlets and outlets (`Dataset` with owner, domain, description, freshness SLO) feed the
  catalog and the lineage graph Legato keeps from every successful try:
  `legato datasets list --domain inventory_optimization`, `legato datasets show URI`,
  `legato lineage duckdb://warehouse/product_purchase_orders_daily --depth 3`, the web UI's
  lineage page, and OpenLineage events with `LEGATO_OPENLINEAGE=http://marquez:5000`;
- the forecast lands in the warehouse (merge by SKU) and as a CSV report in the bucket.

Run it: `legato demo lineage_catalog` (after the data product's days are published, the
scheduler starts this DAG from the dataset updates and the demo prints the product's lineage).
"""

from datetime import timedelta

from legato import DAG, Dataset, task
from legato.io import storage
from legato.io.warehouse import Warehouse

PRODUCT = Dataset("duckdb://warehouse/product_purchase_orders_daily")    # defined by its producer
FORECAST = Dataset("duckdb://warehouse/inventory_forecast", owner="inventory-optimization@example.com",
                   domain="inventory_optimization", freshness=timedelta(hours=30),
                   description="Expected units per SKU over the next 7 days")
REPORT = Dataset("file://landing/reports/inventory_forecast.csv", owner="inventory-optimization@example.com",
                 domain="inventory_optimization", description="The forecast, for the planners")

with DAG("inventory_forecast", schedule=[PRODUCT], start_date="2024-03-01",
         tags=["article", "data-mesh", "lineage"], domain="inventory_optimization",
         default_args={"owner": "inventory_optimization", "retries": 1}) as dag:

    @task(inlets=[PRODUCT], outlets=[FORECAST])
    def forecast_demand(ctx):
        history = Warehouse().query(
            "SELECT product_sku, sum(quantity) AS units, count(DISTINCT order_date) AS days "
            "FROM product_purchase_orders_daily GROUP BY product_sku ORDER BY product_sku")
        rows = [{"sku": h["product_sku"], "days_of_history": h["days"],
                 "expected_units_7d": round(h["units"] / h["days"] * 7)} for h in history]
        Warehouse().load("inventory_forecast", rows, mode="merge", keys=["sku"])
        return rows

    @task(inlets=[FORECAST], outlets=[REPORT])
    def publish_report(rows, ctx):
        return storage.write_csv(f"{ctx.var('landing_bucket')}/reports/inventory_forecast.csv", rows)

    publish_report(forecast_demand())
