"""Reference tables shipped with the project (industry benchmarks, the voice-of-customer theme
taxonomy and sentiment lexicon, exchange rates, the support schedule, holidays and SLA policies),
loaded as they are: nothing is downloaded at
run time."""

import csv
from pathlib import Path

import dagster as dg
import duckdb

from cx_pipeline import catalog
from cx_pipeline.resources import ExtractStore, Warehouse

Columns = tuple[tuple[str, str, str], ...]

BENCHMARK_COLUMNS: Columns = (
    ("metric", "VARCHAR", "'nps' or 'monthly_logo_churn_pct'."),
    (
        "industry",
        "VARCHAR",
        "Industry of the companies the figure rates; 'all' when it spans industries.",
    ),
    ("statistic", "VARCHAR", "average, median, top_quartile, industry_average or target."),
    ("value", "DOUBLE", "The figure."),
    ("unit", "VARCHAR", "Unit of the figure."),
    ("higher_is_better", "BOOLEAN", "Direction in which the metric improves."),
    ("kind", "VARCHAR", "'reference' (published figure) or 'target' (a goal you set)."),
    (
        "audience",
        "VARCHAR",
        "Who the rated companies sell to: 'B2B', 'B2C' or 'mixed' (both in one figure); empty "
        "for targets.",
    ),
    (
        "survey_type",
        "VARCHAR",
        "For NPS: 'relationship' (the company as a whole, asked periodically), 'transactional' "
        "(asked after one interaction) or 'mixed'; empty for churn and targets.",
    ),
    ("region", "VARCHAR", "Where the respondents or companies are; empty when not published."),
    ("year", "INTEGER", "Year of the data or publication; empty when the source is undated."),
    ("sample_size", "BIGINT", "Size of the sample behind the figure; empty when not published."),
    ("sample_unit", "VARCHAR", "What sample_size counts (respondents, companies, sites...)."),
    ("source", "VARCHAR", "Who published the figure, and the study."),
    ("source_url", "VARCHAR", "Where the figure was published."),
    ("licence", "VARCHAR", "On what terms the figure is used (quoted with attribution...)."),
    ("notes", "VARCHAR", "Caveats."),
)

VOC_TAXONOMY_COLUMNS: Columns = (
    ("theme", "VARCHAR", "Theme the keyword points to, e.g. 'pricing' or 'ease of use'."),
    (
        "keyword",
        "VARCHAR",
        "Word or phrase matched as whole words, case-insensitively, within one clause of the "
        "text; a '*' stands for any ending ('integrat*' catches integration, integrated). "
        "Contractions are normalised first, so \"don't\" also catches 'do not'. A leading '-' "
        "makes it an exception: a clause holding it does not count for the theme ('-how to "
        "fix' under ease of use).",
    ),
    (
        "example",
        "VARCHAR",
        "Something a customer might write that the keyword is meant to catch (for an "
        "exception, one it keeps out); the tests check every example.",
    ),
    ("note", "VARCHAR", "Why the keyword is there, or what it deliberately leaves out."),
)

VOC_LEXICON_COLUMNS: Columns = (
    (
        "term",
        "VARCHAR",
        "Word or phrase, matched as whole words, case-insensitively, within one clause.",
    ),
    (
        "kind",
        "VARCHAR",
        "positive or negative (sentiment), negator (flips the sentiment of a term up to three "
        "words after it: 'not good') or request (the customer asks for something: 'please').",
    ),
    (
        "weight",
        "DOUBLE",
        "Strength of a positive or negative term: 0.5 weak, 1 normal, 2 strong; empty for "
        "negators and requests.",
    ),
    ("language", "VARCHAR", "ISO 639-1 code(s) of the languages the term belongs to."),
    ("note", "VARCHAR", "Caveats."),
)

VOC_STOP_WORD_COLUMNS: Columns = (
    (
        "word",
        "VARCHAR",
        "A word left out of the topics of marts.emerging_topics (lower case, as the text is "
        "read: 'don't' is read 'do not').",
    ),
    ("language", "VARCHAR", "ISO 639-1 code of the language the word belongs to."),
    ("note", "VARCHAR", "Why it is there, when it is not a plain function word."),
)

EXCHANGE_RATE_COLUMNS: Columns = (
    ("currency", "VARCHAR", "ISO 4217 code of the currency converted from, e.g. EUR."),
    (
        "to_currency",
        "VARCHAR",
        "ISO 4217 code of the currency converted to; only rows to the reporting currency "
        "(CX_REPORTING_CURRENCY) are used.",
    ),
    (
        "rate_date",
        "DATE",
        "First day the rate applies; it applies until the next rate_date of the same pair.",
    ),
    ("rate", "DECIMAL(18,8)", "Units of to_currency for one unit of currency."),
    ("source", "VARCHAR", "Who published the rate (e.g. a central bank's reference rate)."),
)

BUSINESS_HOURS_COLUMNS: Columns = (
    ("weekday", "INTEGER", "ISO day of the week: 1 = Monday ... 7 = Sunday."),
    ("start_time", "TIME", "Local time the working hours start (09:00)."),
    ("end_time", "TIME", "Local time they end (17:00); after start_time, within the day."),
    (
        "timezone",
        "VARCHAR",
        "IANA timezone the times are in (Europe/Berlin); the same on every row. Daylight "
        "saving is followed: 09:00 is 09:00 local in winter and summer.",
    ),
)

HOLIDAY_COLUMNS: Columns = (
    ("holiday_date", "DATE", "A day without working hours, in the schedule's timezone."),
    ("name", "VARCHAR", "What the day is (New Year's Day...)."),
)

SLA_POLICY_COLUMNS: Columns = (
    ("priority", "VARCHAR", "Ticket priority the targets apply to (low, normal, high, urgent)."),
    ("first_reply_minutes", "INTEGER", "Target for the first public agent reply, in minutes."),
    (
        "resolution_minutes",
        "INTEGER",
        "Target for the full resolution (creation to the last solve), in minutes.",
    ),
    (
        "business_hours",
        "BOOLEAN",
        "true: the targets count business minutes (business_hours.csv minus holidays.csv); "
        "false: calendar minutes.",
    ),
)


def check_header(path: Path, columns: Columns) -> None:
    """Stop on a file whose header is not the documented columns in order: the CSV is read by
    position, so a file from before a column was added would otherwise be misread silently."""
    with path.open(newline="", encoding="utf-8-sig") as f:
        header = [h.strip() for h in next(csv.reader(f), [])]
    expected = [name for name, _, _ in columns]
    if header == expected:
        return
    missing = [c for c in expected if c not in header]
    unknown = [h for h in header if h not in expected]
    problems = [
        f"missing {', '.join(missing)}" if missing else "",
        f"unknown {', '.join(unknown)}" if unknown else "",
    ]
    detail = "; ".join(p for p in problems if p) or "columns out of order"
    raise dg.Failure(
        f"{path.name} has an outdated or unexpected header ({detail}). Expected the columns "
        f"{', '.join(expected)}, in that order: see the column docs of raw.{path.stem}"
        + (" and docs/benchmarks.md" if path.stem == "industry_benchmarks" else "")
        + "."
    )


def load_reference_csv(
    con: duckdb.DuckDBPyConnection, table: str, path: str, columns: Columns
) -> int:
    """Replace raw.<table> with the CSV read with its documented column types; returns rows."""
    types = ", ".join(f"'{name}': '{sql_type}'" for name, sql_type, _ in columns)
    con.execute(
        f"CREATE OR REPLACE TABLE raw.{table} AS SELECT * FROM read_csv($path, "
        f"header = true, auto_detect = false, columns = {{{types}}})",
        {"path": path},
    )
    return con.execute(f"SELECT count(*) FROM raw.{table}").fetchone()[0]


def write_empty_reference(con: duckdb.DuckDBPyConnection, table: str, columns: Columns) -> None:
    """raw.<table> with its documented columns and no rows."""
    typed = ", ".join(f"CAST(NULL AS {sql_type}) AS {name}" for name, sql_type, _ in columns)
    con.execute(f"CREATE OR REPLACE TABLE raw.{table} AS SELECT {typed} WHERE false")


# Every reference table and its columns, as reference_asset defines them (the benchmark's floor
# loads the same tables).
REFERENCE_COLUMNS: dict[str, Columns] = {}


def reference_asset(
    table: str, description: str, columns: Columns, optional: bool = False
) -> dg.AssetsDefinition:
    """A raw asset loading <reference_root>/<table>.csv into raw.<table>. An optional table
    missing from the folder loads as no rows (a reference folder made before it existed still
    works); a required one fails the run."""
    REFERENCE_COLUMNS[table] = columns

    @dg.asset(
        key=catalog.key("raw", table),
        group_name="raw",
        kinds={"duckdb"},
        owners=catalog.OWNERS,
        pool=catalog.warehouse_pool(),
        description=description,
        metadata=catalog.table_metadata("raw", table, list(columns)),
    )
    def load(warehouse: Warehouse, extracts: ExtractStore) -> dg.MaterializeResult:
        path = extracts.reference_path / f"{table}.csv"
        if not path.is_file() and optional:
            with warehouse.get_connection() as con:
                write_empty_reference(con, table, columns)
            return dg.MaterializeResult(
                metadata={"dagster/row_count": 0, "missing_file": str(path.resolve())}
            )
        if not path.is_file():
            raise dg.Failure(f"reference table not found: {path.resolve()}")
        check_header(path, columns)
        with warehouse.get_connection() as con:
            rows = load_reference_csv(con, table, str(path), columns)
        return dg.MaterializeResult(metadata={"dagster/row_count": rows, "source_file": str(path)})

    return load


industry_benchmarks = reference_asset(
    "industry_benchmarks",
    "Industry NPS and churn reference figures and the seed targets, each labelled with what it "
    "measures (audience B2B/B2C, survey type, region, year, sample) and its source, link and "
    "licence, from <reference_root>/industry_benchmarks.csv (docs/benchmarks.md).",
    BENCHMARK_COLUMNS,
)

voc_taxonomy = reference_asset(
    "voc_taxonomy",
    "Voice-of-customer theme taxonomy: one row per keyword of a theme (onboarding, support, "
    "pricing, reliability, reporting, integrations, ease of use, account access, account "
    "management, security, documentation, orders and delivery, installs and updates, "
    "notifications, features), or per exception of a theme (a leading '-'), with an example of "
    "what customers write, from <reference_root>/voc_taxonomy.csv. Edit the CSV to tune the "
    "themes; marts.emerging_topics shows what the untagged texts talk about.",
    VOC_TAXONOMY_COLUMNS,
)

exchange_rates = reference_asset(
    "exchange_rates",
    "Dated exchange rates to the reporting currency, from <reference_root>/exchange_rates.csv: "
    "what converts a subscription's MRR in another currency (marts.subscription_mrr). "
    "Optional: without the file there are no rates, which is fine while every subscription is "
    "in the reporting currency.",
    EXCHANGE_RATE_COLUMNS,
    optional=True,
)

voc_lexicon = reference_asset(
    "voc_lexicon",
    "Voice-of-customer sentiment lexicon: positive and negative words and phrases with a "
    "weight, negators ('not', 'never') and request words ('please', 'need'), mostly English "
    "with a few German, Spanish, Portuguese and French terms, from "
    "<reference_root>/voc_lexicon.csv.",
    VOC_LEXICON_COLUMNS,
)

voc_stop_words = reference_asset(
    "voc_stop_words",
    "Words that name no topic (articles, pronouns, auxiliaries; greetings and 'please help' of "
    "support messages) in English, German, French, Spanish and Portuguese, left out of the "
    "topics of marts.emerging_topics, from <reference_root>/voc_stop_words.csv. Optional: "
    "without the file every word can be a topic.",
    VOC_STOP_WORD_COLUMNS,
    optional=True,
)

business_hours = reference_asset(
    "business_hours",
    "The support team's working hours: one row per weekday and shift, in one timezone, from "
    "<reference_root>/business_hours.csv. Business minutes in the support marts are the minutes "
    "inside them, holidays left out. Optional: without the file business minutes are empty.",
    BUSINESS_HOURS_COLUMNS,
    optional=True,
)

holidays = reference_asset(
    "holidays",
    "Days without working hours (public holidays, company days off) from "
    "<reference_root>/holidays.csv. Optional: without the file there are none.",
    HOLIDAY_COLUMNS,
    optional=True,
)

sla_policies = reference_asset(
    "sla_policies",
    "SLA targets per ticket priority (first reply, full resolution; in business or calendar "
    "minutes) from <reference_root>/sla_policies.csv. Optional: without the file no ticket has "
    "a target and no breach is reported.",
    SLA_POLICY_COLUMNS,
    optional=True,
)
