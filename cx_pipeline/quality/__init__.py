"""Validation: Great Expectations suites and asset checks on the raw and staging tables."""
