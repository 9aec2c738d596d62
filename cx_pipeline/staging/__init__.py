"""Staging: typed, deduplicated, conformed tables, one row per business key."""
