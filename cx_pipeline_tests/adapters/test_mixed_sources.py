"""One run, four sources, four formats: HubSpot, Zendesk, Segment and Qualtrics exports side by
side, through the whole graph to the marts and the serving file."""

from __future__ import annotations

from pathlib import Path

from cx_pipeline_tests.adapters.delivery import deliver
from cx_pipeline_tests.conftest import materialize_all

FIXTURES = Path(__file__).parent / "fixtures"
DAY = "2026-03-31"
SOURCES = {
    "crm": ("hubspot", ["companies.json", "companies-2.json", "contacts.json", "deals.json"]),
    "support": ("zendesk", ["tickets-0001.json", "tickets-0002.json", "ticket_metrics.json"]),
    "analytics": ("segment", ["segment-2026-03-31.jsonl"]),
    "surveys": ("qualtrics", ["qualtrics-customer-nps.csv"]),
}


def test_a_mix_of_vendor_adapters_builds_the_marts(tmp_path: Path, query) -> None:
    root = tmp_path / "extracts"
    lines = ["[sources]"]
    for source, (adapter, files) in SOURCES.items():
        deliver(tmp_path, source, *(FIXTURES / adapter / name for name in files), day=DAY)
        lines.append(f'{source} = "{adapter}"')
    sources_file = tmp_path / "cx_sources.toml"
    sources_file.write_text("\n".join(lines) + "\n")
    # The fixtures plant unmappable rows on purpose: let them through the quarantine share.
    result = materialize_all(
        root, tmp_path / "cx.duckdb", sources_file=str(sources_file), quarantine_block_share=1.0
    )
    assert result.success
    loads = dict(
        query(
            "SELECT split_part(source_file, '/', 1), sum(rows_read) FROM audit.loads "
            "GROUP BY 1 ORDER BY 1"
        )
    )
    assert set(loads) == set(SOURCES) and all(n > 0 for n in loads.values())
    for table in ("accounts", "contacts", "subscriptions", "tickets", "events", "nps_responses"):
        assert query(f"SELECT count(*) FROM staging.{table}")[0][0] > 0, table
    assert query("SELECT sum(responses) FROM marts.nps_by_month")[0][0] > 0
    assert query("SELECT count(*) FROM marts.account_segments")[0][0] > 0
    assert (tmp_path / "cx_serving.duckdb").exists()
