"""The HTML report, rendered by a real browser: it opens offline and shows its charts."""

from __future__ import annotations

from pathlib import Path

from cx_pipeline_tests.browser import rendered_dom, screenshot


def test_report_renders_its_charts_in_chromium(sample_warehouse: Path, tmp_path: Path) -> None:
    report = sample_warehouse.with_name("cx_report.html")
    text = report.read_text()
    assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in text  # self-contained: nothing to fetch
    dom = rendered_dom(report.as_uri())
    assert "<h1>Customer experience report</h1>" in dom
    assert dom.count("<svg") >= 5
    assert 'class="series"' in dom and 'class="band"' in dom  # NPS line and its interval band
    assert dom.count('class="bar"') >= 20  # churn per month, gaps, themes
    assert "no data yet" not in dom
    # Planted: detractors' comments are mostly about reliability, pricing and support.
    themes = dom[dom.index("What detractors talk about") :]
    assert [t for t in ("reliability", "pricing", "support") if f">{t}</text>" in themes] == [
        "reliability",
        "pricing",
        "support",
    ]
    # The driver analyses and the churn model's track record, with its verdict.
    for heading in ("What drives NPS", "What drives churn", "Who will churn"):
        assert heading in dom, heading
    assert 'class="point"' in dom  # the importance-performance grid
    assert "out of time (pooled AUC" in dom and "Accounts to call this week" in dom
    png = screenshot(report.as_uri(), tmp_path / "report.png")
    assert png.stat().st_size > 30_000  # a page with charts, not a blank one


def test_report_holds_no_personal_data(sample_warehouse: Path, sample_query) -> None:
    text = sample_warehouse.with_name("cx_report.html").read_text()
    emails = [e for (e,) in sample_query("SELECT email FROM staging.contacts LIMIT 200")]
    names = [n for (n,) in sample_query("SELECT full_name FROM staging.contacts LIMIT 200")]
    assert not [v for v in emails + names if v and v in text]
