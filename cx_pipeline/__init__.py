"""cx-pipeline: customer-experience analytics as a Dagster asset graph on DuckDB."""

__version__ = "0.1.0"
