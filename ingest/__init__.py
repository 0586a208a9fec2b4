"""The ingest layer: incremental reads from CDF into the warehouse, settings and projects."""
