"""Marts: the tables CX teams and BI tools read, one SQL file per table in `sql/`."""
