"""Ingestion: finding delivered extract files and loading them into `raw` and `quarantine`."""
