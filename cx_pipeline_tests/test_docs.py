"""docs/extracts.md is the contract, rendered: a change to one without the other fails here; the
screenshots the README shows exist and stay small."""

from __future__ import annotations

from cx_pipeline.docs import render_extracts_page
from cx_pipeline_tests.conftest import REPO_ROOT


def test_extracts_page_matches_the_contract() -> None:
    page = (REPO_ROOT / "docs" / "extracts.md").read_text()
    assert page == render_extracts_page(), "run `cx-pipeline docs` to regenerate the page"


def test_the_readmes_screenshots_exist_and_stay_small() -> None:
    """`make screenshots` writes them; a clone should not grow by megabytes of pictures."""
    readme = (REPO_ROOT / "README.md").read_text()
    shots = sorted((REPO_ROOT / "docs" / "screenshots").glob("*.png"))
    assert {s.name for s in shots} >= {
        "report.png",
        "ui-asset-graph.png",
        "ui-raw-asset.png",
        "ui-mart.png",
    }
    for shot in shots:
        assert f"(docs/screenshots/{shot.name})" in readme, shot.name
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", shot.name
        assert shot.stat().st_size < 300_000, shot.name
    assert sum(s.stat().st_size for s in shots) < 1_000_000
