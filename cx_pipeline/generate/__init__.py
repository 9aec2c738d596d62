"""Deterministic generator of realistic extracts with planted truths (test data, never imported
by production code)."""

from cx_pipeline.generate.generator import (
    IDENTITY_TRUTH_FILE,
    PERSONA_TRUTH_FILE,
    TRUTH_FILE,
    generate,
)
from cx_pipeline.generate.profiles import PROFILES, ScaleProfile

__all__ = [
    "IDENTITY_TRUTH_FILE",
    "PERSONA_TRUTH_FILE",
    "PROFILES",
    "TRUTH_FILE",
    "ScaleProfile",
    "generate",
]
