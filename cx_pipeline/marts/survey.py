"""Survey marts beyond NPS: CSAT and CES as metrics of their own, and product-market fit (the
Sean Ellis question), each by month or segment with its sample size and 95% interval.

They read surveys.survey_answers (one row per answer to one question, with its type); NPS marts
keep reading surveys.nps_responses. The scale rules (csat_satisfied, ces_easy, the interval
macros and the 40% PMF benchmark with its source) are in rules.sql.
"""

from __future__ import annotations

from cx_pipeline.marts.builder import MartSpec

SEGMENT_COLUMNS: tuple[tuple[str, str, str], ...] = (
    (
        "segment_type",
        "VARCHAR",
        "all, region, industry, revenue_tier, tenure_band, touchpoint or influence_level.",
    ),
    ("segment", "VARCHAR", "The segment ('all' for segment_type all; 'unknown' when not known)."),
)
MONTH_COLUMN = (
    "month",
    "DATE",
    "First day of the calendar month of the answers; null on the row over all months.",
)
LOW_SAMPLE = (
    "low_sample",
    "BOOLEAN",
    "True when answers are below the low-sample threshold (the NPS setting, default 30).",
)

SURVEY_ANSWER_SEGMENTS = MartSpec(
    name="survey_answer_segments",
    grain=("answer_id",),
    needs=("survey_answers",),
    description=(
        "Every survey answer (CSAT, CES, product-market fit, NPS, reasons) up to the as-of "
        "date with the segments of whoever gave it, taken when it was given, by the rules of "
        "marts.nps_answers: the building block of CSAT, CES and PMF. Rules at the top of "
        "survey_answer_segments.sql."
    ),
    columns=(
        ("answer_id", "VARCHAR", "Answer identifier."),
        ("response_id", "VARCHAR", "The response the answer belongs to."),
        ("submitted_day", "DATE", "Day of the answer in the reporting timezone."),
        ("month", "DATE", "First day of its calendar month."),
        ("contact_id", "VARCHAR", "Respondent (CRM contact id)."),
        ("account_id", "VARCHAR", "The answer's account, else the contact's."),
        ("question_id", "VARCHAR", "The question's identifier in the survey tool."),
        ("question_type", "VARCHAR", "nps, csat, ces, pmf or reason."),
        ("score", "BIGINT", "The rating (nps 0-10, csat 1-5, ces 1-7); null otherwise."),
        ("choice", "VARCHAR", "The pmf option chosen; null otherwise."),
        ("touchpoint", "VARCHAR", "Moment the survey was sent at; 'unknown' if missing."),
        ("region", "VARCHAR", "The account's sales region."),
        ("industry", "VARCHAR", "The account's industry."),
        ("revenue_tier", "VARCHAR", "Revenue tier on the answer day."),
        ("tenure_band", "VARCHAR", "Tenure band on the answer day."),
        ("influence_level", "VARCHAR", "The respondent's influence level."),
    ),
)

CSAT_BY_SEGMENT = MartSpec(
    name="csat_by_segment",
    grain=("month", "segment_type", "segment"),
    grain_nulls=("month",),
    description=(
        "Customer satisfaction (CSAT, 1-5 scale) by calendar month and segment and over all "
        "months: CSAT = answers of 4 or 5 / answers x 100 (the top two boxes), with n, its "
        "95% interval (adjusted Wald) and the mean score. Segments are those of the answer "
        "when it was given; segment_type 'all' is every answer. Rules in csat_by_segment.sql."
    ),
    columns=(
        MONTH_COLUMN,
        *SEGMENT_COLUMNS,
        ("answers", "BIGINT", "CSAT answers in the cell (n)."),
        ("satisfied", "BIGINT", "Answers of 4 or 5."),
        ("csat_pct", "DOUBLE", "CSAT: satisfied / answers x 100."),
        ("csat_low_95", "DOUBLE", "Lower bound of the 95% interval of CSAT (adjusted Wald)."),
        ("csat_high_95", "DOUBLE", "Upper bound of the 95% interval of CSAT (adjusted Wald)."),
        ("mean_score", "DOUBLE", "Mean answer on the 1-5 scale."),
        LOW_SAMPLE,
    ),
)

CES_BY_SEGMENT = MartSpec(
    name="ces_by_segment",
    grain=("month", "segment_type", "segment"),
    grain_nulls=("month",),
    description=(
        "Customer effort (CES, 1-7 scale, 7 = easiest) by calendar month and segment and over "
        "all months: the mean answer with its 95% t interval, and the share of 'easy' answers "
        "(5-7) with its 95% interval (adjusted Wald), with n. Segments are those of the answer "
        "when it was given; segment_type 'all' is every answer. Rules in ces_by_segment.sql."
    ),
    columns=(
        MONTH_COLUMN,
        *SEGMENT_COLUMNS,
        ("answers", "BIGINT", "CES answers in the cell (n)."),
        ("mean_ces", "DOUBLE", "Mean answer on the 1-7 scale."),
        (
            "mean_ces_low_95",
            "DOUBLE",
            "Lower bound of the 95% interval of the mean: mean - t(0.975, n - 1) x s / sqrt(n); "
            "null below 2 answers.",
        ),
        (
            "mean_ces_high_95",
            "DOUBLE",
            "Upper bound of the 95% interval of the mean: mean + t(0.975, n - 1) x s / sqrt(n); "
            "null below 2 answers.",
        ),
        ("easy", "BIGINT", "Answers of 5-7 (agree it was easy)."),
        ("easy_pct", "DOUBLE", "easy / answers x 100."),
        ("easy_low_95", "DOUBLE", "Lower bound of the 95% interval of easy_pct (adjusted Wald)."),
        (
            "easy_high_95",
            "DOUBLE",
            "Upper bound of the 95% interval of easy_pct (adjusted Wald).",
        ),
        LOW_SAMPLE,
    ),
)

PMF_BY_SEGMENT = MartSpec(
    name="pmf_by_segment",
    grain=("segment_type", "segment"),
    description=(
        "Product-market fit by segment over all answers up to the as-of date: the share of "
        "'very disappointed' answers to the Sean Ellis question (how would you feel if you "
        "could no longer use the product?) with n and its 95% interval (adjusted Wald), against "
        "the 40% benchmark (Sean Ellis, via Rahul Vohra, First Round Review 2018): above when "
        "the whole interval is at or over it, below when it is all under it, else "
        "inconclusive. Rules in pmf_by_segment.sql; the source in rules.sql."
    ),
    columns=(
        *SEGMENT_COLUMNS,
        ("answers", "BIGINT", "PMF answers in the segment (n)."),
        ("very_disappointed", "BIGINT", "Answers 'very disappointed'."),
        ("somewhat_disappointed", "BIGINT", "Answers 'somewhat disappointed'."),
        ("not_disappointed", "BIGINT", "Answers 'not disappointed'."),
        ("very_disappointed_pct", "DOUBLE", "very_disappointed / answers x 100: the PMF score."),
        (
            "very_disappointed_low_95",
            "DOUBLE",
            "Lower bound of the 95% interval of the PMF score (adjusted Wald).",
        ),
        (
            "very_disappointed_high_95",
            "DOUBLE",
            "Upper bound of the 95% interval of the PMF score (adjusted Wald).",
        ),
        ("benchmark_pct", "DOUBLE", "The product-market-fit benchmark: 40% very disappointed."),
        (
            "verdict",
            "VARCHAR",
            "above (interval at or over the benchmark), below (all under it) or inconclusive.",
        ),
        LOW_SAMPLE,
    ),
)

SPECS = (SURVEY_ANSWER_SEGMENTS, CSAT_BY_SEGMENT, CES_BY_SEGMENT, PMF_BY_SEGMENT)
