"""The canonical extract contract (pure data)."""

from cx_pipeline.contract.entities import ENTITIES, FORMAT_NOTES, entity
from cx_pipeline.contract.schema import Column, Entity

__all__ = ["ENTITIES", "FORMAT_NOTES", "Column", "Entity", "entity"]
