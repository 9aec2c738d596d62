"""TODO(voice): mart specs of this family."""

from __future__ import annotations

from cx_pipeline.marts.builder import MartSpec

SPECS: tuple[MartSpec, ...] = ()
