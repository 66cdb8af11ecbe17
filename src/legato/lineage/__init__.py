"""Datasets, the catalog, the lineage graph and the OpenLineage emitter (SPEC section 5)."""
