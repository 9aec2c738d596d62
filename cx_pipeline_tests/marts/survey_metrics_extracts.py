"""Tiny survey answers for the CSAT, CES, product-market-fit and reason marts, every figure
worked out by hand. The CRM, contacts and NPS responses are nps_extracts' (accounts: A1 North
America, A2 EMEA, A3 APAC, A4 LATAM, A6 EMEA); this module adds surveys.survey_answers.

CSAT (1-5; satisfied = 4 or 5)
  Q01 C2 A1 Feb 5   Q02 C1 A1 Feb 4   Q03 C3 A2 Feb 3   Q04 C4 A3 Mar 2   Q05 C6 A6 Mar 4
  all      5 answers, 3 satisfied (5, 4, 4)   CSAT 60%   mean (5+4+3+2+4)/5 = 3.6
  Feb      3 answers, 2 satisfied             CSAT 66.7%
  Mar      2 answers, 1 satisfied             CSAT 50%
  North America (A1) 2 of 2 = 100%; EMEA (A2, A6) 1 of 2 = 50%; APAC 0 of 1 = 0%
  adjusted Wald, all: p~ = (3 + 1.92) / (5 + 3.84) = 0.5566, half-width
  1.96 x sqrt(0.5566 x 0.4434 / 8.84) = 0.3275  ->  22.91% .. 88.40%

CES (1-7; easy = 5-7)
  E01 C2 A1 Feb 7   E02 C1 A1 Feb 2   E03 C5 A4 Feb 5   E04 C4 A3 Mar 6   E05 C9 A3 Mar 4
  all      mean 24/5 = 4.8; deviations 2.2 -2.8 0.2 1.2 -0.8, squares sum 14.8, s^2 = 14.8/4
           = 3.7, s = 1.9235; t(0.975, 4) = 2.7764; half-width 2.7764 x 1.9235 / sqrt(5)
           = 2.3884 -> 2.4116 .. 7.1884; easy 3 of 5 (7, 5, 6) = 60%
  Feb      mean (7+2+5)/3 = 4.667, easy 2 of 3;  Mar mean (6+4)/2 = 5, easy 1 of 2
  LATAM (E03 only): one answer, no interval of the mean

Product-market fit (very / somewhat / not disappointed)
  APAC  (A3: C4, C9) P01-P08  8 very                       8/8 = 100%  -> above 40%
        adjusted Wald low: p~ = 9.92/11.84 = 0.8378, 1.96 x sqrt(0.8378 x 0.1622 / 11.84)
        = 0.2100 -> 62.8% >= 40
  LATAM (A4: C5)     P09-P18  4 somewhat, 6 not            0/10 = 0%   -> below 40%
        high: p~ = 1.92/13.84 = 0.1387, + 1.96 x sqrt(0.1387 x 0.8613 / 13.84) = 32.1% < 40
  North America (A1) P19 C1 very, P20 C2 very, P21 C7 somewhat, P22 C8 not: 2/4 = 50%
        -> inconclusive (interval 15.0% .. 85.0% holds 40)
  all   22 answers: 10 very, 5 somewhat, 7 not = 45.45% -> inconclusive

Reasons ("what is the main reason for your score?") and their NPS band
  R1:why  response R1 (its nps answer R1:nps scores 10): promoter  "Love the dashboards"
  R2:why  response N17 of nps_responses (score 3): detractor        "The price is too high"
  R3:why  response R3, no NPS answer anywhere: 'no answer'         "Too expensive for us"
"""

# ruff: noqa: E501 (hand-written CSV fixtures read best as the files they stand for)
from __future__ import annotations

from pathlib import Path

from cx_pipeline_tests.marts.nps_extracts import write_nps_extracts
from cx_pipeline_tests.tiny_extracts import DELIVERY

HEADER = "answer_id,response_id,contact_id,account_id,survey_id,touchpoint,submitted_at,question_id,question_type,score,choice,text,respondent_email"

CSAT = """Q01,Q01,C2,A1,sup,support,2026-02-02T10:00:00Z,csat1,csat,5,,,
Q02,Q02,C1,A1,sup,support,2026-02-04T10:00:00Z,csat1,csat,4,,,
Q03,Q03,C3,A2,sup,support,2026-02-09T10:00:00Z,csat1,csat,3,,,
Q04,Q04,C4,A3,sup,support,2026-03-04T10:00:00Z,csat1,csat,2,,,
Q05,Q05,C6,A6,sup,support,2026-03-10T10:00:00Z,csat1,csat,4,,,"""

CES = """E01,E01,C2,A1,onb,onboarding,2026-02-02T11:00:00Z,ces1,ces,7,,,
E02,E02,C1,A1,onb,onboarding,2026-02-04T11:00:00Z,ces1,ces,2,,,
E03,E03,C5,A4,onb,onboarding,2026-02-06T11:00:00Z,ces1,ces,5,,,
E04,E04,C4,A3,onb,onboarding,2026-03-04T11:00:00Z,ces1,ces,6,,,
E05,E05,C9,A3,onb,onboarding,2026-03-08T11:00:00Z,ces1,ces,4,,,"""

PMF = """P01,P01,C4,A3,pmf,relationship,2026-03-01T09:00:00Z,pmf1,pmf,,very_disappointed,,
P02,P02,C9,A3,pmf,relationship,2026-03-01T09:10:00Z,pmf1,pmf,,very_disappointed,,
P03,P03,C4,A3,pmf,relationship,2026-03-02T09:00:00Z,pmf1,pmf,,very_disappointed,,
P04,P04,C9,A3,pmf,relationship,2026-03-02T09:10:00Z,pmf1,pmf,,very_disappointed,,
P05,P05,C4,A3,pmf,relationship,2026-03-03T09:00:00Z,pmf1,pmf,,very_disappointed,,
P06,P06,C9,A3,pmf,relationship,2026-03-03T09:10:00Z,pmf1,pmf,,very_disappointed,,
P07,P07,C4,A3,pmf,relationship,2026-03-04T09:00:00Z,pmf1,pmf,,very_disappointed,,
P08,P08,C9,A3,pmf,relationship,2026-03-04T09:10:00Z,pmf1,pmf,,very_disappointed,,
P09,P09,C5,A4,pmf,relationship,2026-03-05T09:00:00Z,pmf1,pmf,,somewhat_disappointed,,
P10,P10,C5,A4,pmf,relationship,2026-03-05T09:10:00Z,pmf1,pmf,,somewhat_disappointed,,
P11,P11,C5,A4,pmf,relationship,2026-03-06T09:00:00Z,pmf1,pmf,,somewhat_disappointed,,
P12,P12,C5,A4,pmf,relationship,2026-03-06T09:10:00Z,pmf1,pmf,,somewhat_disappointed,,
P13,P13,C5,A4,pmf,relationship,2026-03-07T09:00:00Z,pmf1,pmf,,not_disappointed,,
P14,P14,C5,A4,pmf,relationship,2026-03-07T09:10:00Z,pmf1,pmf,,not_disappointed,,
P15,P15,C5,A4,pmf,relationship,2026-03-08T09:00:00Z,pmf1,pmf,,not_disappointed,,
P16,P16,C5,A4,pmf,relationship,2026-03-08T09:10:00Z,pmf1,pmf,,not_disappointed,,
P17,P17,C5,A4,pmf,relationship,2026-03-09T09:00:00Z,pmf1,pmf,,not_disappointed,,
P18,P18,C5,A4,pmf,relationship,2026-03-09T09:10:00Z,pmf1,pmf,,not_disappointed,,
P19,P19,C1,A1,pmf,relationship,2026-03-10T09:00:00Z,pmf1,pmf,,very_disappointed,,
P20,P20,C2,A1,pmf,relationship,2026-03-10T09:10:00Z,pmf1,pmf,,very_disappointed,,
P21,P21,C7,A1,pmf,relationship,2026-03-11T09:00:00Z,pmf1,pmf,,somewhat_disappointed,,
P22,P22,C8,A1,pmf,relationship,2026-03-11T09:10:00Z,pmf1,pmf,,not_disappointed,,"""

REASONS = """R1:nps,R1,C4,A3,rel,relationship,2026-03-05T10:00:00Z,nps1,nps,10,,,
R1:why,R1,C4,A3,rel,relationship,2026-03-05T10:00:00Z,why1,reason,,,Love the dashboards,
R2:why,N17,C1,A1,rel,relationship,2026-02-04T10:00:00Z,why1,reason,,,The price is too high,
R3:why,R3,C9,A3,rel,relationship,2026-03-06T10:00:00Z,why1,reason,,,Too expensive for us,"""

SURVEY_ANSWERS = "\n".join((HEADER, CSAT, CES, PMF, REASONS)) + "\n"


def write_survey_extracts(root: Path) -> Path:
    """Write nps_extracts and this module's survey answers under `root`."""
    write_nps_extracts(root)
    (root / "surveys" / DELIVERY / "survey_answers.csv").write_text(SURVEY_ANSWERS)
    return root
