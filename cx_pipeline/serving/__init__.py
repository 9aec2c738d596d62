"""Serving: the read-only copy of the marts that BI tools open, published atomically."""
