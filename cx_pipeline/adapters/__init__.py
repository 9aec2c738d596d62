"""Adapters: vendor exports and custom mappings read as the extract contract."""
