"""docs/extracts.md is the contract, rendered: a change to one without the other fails here."""

from __future__ import annotations

from cx_pipeline.docs import render_extracts_page
from cx_pipeline_tests.conftest import REPO_ROOT


def test_extracts_page_matches_the_contract() -> None:
    page = (REPO_ROOT / "docs" / "extracts.md").read_text()
    assert page == render_extracts_page(), "run `cx-pipeline docs` to regenerate the page"
