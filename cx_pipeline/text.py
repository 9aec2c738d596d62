"""Language and sentiment of what customers write, from a small classifier that ships with the
project and runs offline.

Sentiment is a logistic regression with one weight vector per language (English, German,
Spanish, French, Portuguese), fitted on all of them at once (a shared copy of every feature plus
one per language, so each language learns from the others' lines) on openly licensed labelled
text by scripts/train_sentiment.py, which writes the weights to cx_pipeline/sentiment_model.npz
(read on first use; nothing is downloaded at run time). Its
inputs are hashed word uni- and bigrams and character 3-5-grams (features()), where a word after
a negation ("not", "nicht", "pas", "no", "não") up to the next punctuation is a different word
("not good" is not "good", however far back the "not"), and a word after a contrast ("but",
"aber", "mais", "pero", "mas") also counts as such ("good but slow" leans on "slow"). English
texts add VADER's scores as inputs (vaderSentiment, MIT; Hutto & Gilbert 2014), with its rules
for negation, contrast, intensity ("very", capitals, "!!!") and emoticons, plus DOMAIN_LEXICON:
software and service words VADER lacks ("bug", "outage", "clunky"), each valued beside a word
VADER has, from the project's own CX word list; TOPIC_WORDS takes out words VADER scores that
name a topic or a courtesy in feedback ("support", "please", "help").

The score is 2p - 1 for the model's probability p that the text is positive (-1..+1). A text is
neutral when the score lies inside the language's neutral band, chosen on training-side
validation data (the band where the model is no better than a coin), else positive or negative.
Figures on held-out data are in docs/voice-of-customer.md.

Language is py3langid (BSD-3-Clause; the langid.py model, shipped in the wheel, deterministic).
Short texts often look like another language to any detector ("Bad Choice." like Irish, "Vamos,
hombre." like Galician), so when the detector's first choice is a language the model does not
read, a text is English when English has at least ENGLISH_FLOOR of the probability or the
detector is unsure (under UNSURE) and the text holds a word of VADER's lexicon, else the most
likely language the model reads with at least SUPPORTED_FLOOR (language()). A text in a language
the model does not read gets no score and the label 'unsupported', never 'neutral' (a Dutch
complaint is not a neutral text).

Both are one DuckDB function (register()), so a mart's SQL analyses each new text once, where it
caches the analysis (marts/sql/feedback_themes.sql); analyser() names the model file's version and
hash, so a new model analyses every text again. The libraries are imported on first use.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import math
import re
import unicodedata
import zlib
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb

from cx_pipeline.sql import create_function_once

SUPPORTED_LANGUAGES = ("en", "de", "es", "fr", "pt")
ENGLISH_FLOOR = 0.03
UNSURE = 0.5
# Chosen on the validation lines of scripts/train_sentiment.py (the detector alone decides it):
# 0.1 rather than 0.2 reads 0.3-2.5% fewer German, Spanish, French and Portuguese lines as
# unsupported (Spanish 9.4% -> 6.9%) and takes 0.5-1.1% more Italian, Dutch and Romanian ones
# for a language the model reads; 0.05 would take 2.2-6.0% more of those.
SUPPORTED_FLOOR = 0.1
UNSUPPORTED = "unsupported"
# A text with fewer letters than this has no language to tell ("10/10", "+1"): it is read as
# English, VADER's language, which scores emoticons and gives the rest the model's prior.
MIN_LETTERS = 3
MODEL_FILE = Path(__file__).with_name("sentiment_model.npz")
# Hashed feature space of the model (features() and scripts/train_sentiment.py share it), and
# VADER's scores after it: compound, positive, negative, neutral share.
HASH_DIM = 2**17
DENSE = ("vader_compound", "vader_pos", "vader_neg", "vader_neu")
# Words that negate what follows up to the next punctuation, and words after which the clause
# that follows carries the sentence, per language (lower case; "n't" is found inside words).
NEGATIONS = {
    "en": {"not", "no", "never", "nothing", "none", "nobody", "neither", "nor", "without",
           "cannot", "hardly", "barely"},
    "de": {"nicht", "kein", "keine", "keinen", "keinem", "keiner", "keines", "nie", "niemals",
           "nichts", "ohne", "weder", "noch"},
    "es": {"no", "nunca", "jamás", "jamas", "ni", "nada", "sin", "ningún", "ninguno",
           "ninguna", "tampoco"},
    "fr": {"ne", "n", "pas", "jamais", "rien", "sans", "aucun", "aucune", "ni", "personne"},
    "pt": {"não", "nao", "nunca", "jamais", "nem", "nada", "sem", "nenhum", "nenhuma"},
}  # fmt: skip
CONTRASTS = {
    "en": {"but", "however", "although", "though", "yet"},
    "de": {"aber", "doch", "jedoch", "sondern", "allerdings", "trotzdem"},
    "es": {"pero", "sino", "aunque", "embargo"},
    "fr": {"mais", "cependant", "pourtant", "toutefois"},
    "pt": {"mas", "porém", "porem", "contudo", "entretanto", "embora"},
}
_TOKEN = re.compile(
    r"[:;=][-']?[()\[\]dDpP/|]|[^\W\d_]+(?:'[^\W\d_]+)*|\d+(?:[./]\d+)?|[!?]|[.,;:]"
)
_BREAK = {".", ",", ";", ":", "!", "?"}


DOMAIN_LEXICON = {
    # Faults of software and service (VADER has crash -1.7, error -1.7, lag -1.4, sluggish -1.7).
    "bug": -1.5,
    "bugs": -1.5,
    "buggy": -1.8,
    "glitch": -1.3,
    "glitches": -1.3,
    "glitchy": -1.5,
    "crashes": -1.7,
    "crashed": -1.7,
    "crashing": -1.7,
    "freezes": -1.5,
    "outage": -1.8,
    "outages": -1.8,
    "downtime": -1.5,
    "laggy": -1.5,
    "slow": -1.0,
    "slower": -0.8,
    "timeout": -1.0,
    "unreliable": -1.8,
    "unusable": -2.0,
    "clunky": -1.3,
    "flaky": -1.3,
    "cumbersome": -1.3,
    "tedious": -1.3,
    "hassle": -1.3,
    "lacking": -1.0,
    "lacks": -1.0,
    # Price (VADER has none of these).
    "overpriced": -1.5,
    "expensive": -0.8,
    "pricey": -0.8,
    # Praise of software and service (VADER has easy 1.9, stable 1.2, responsive 1.5).
    "intuitive": 1.5,
    "seamless": 1.5,
    "seamlessly": 1.5,
    "reliable": 1.5,
    "smooth": 1.2,
    "smoothly": 1.2,
    "fast": 1.0,
    "snappy": 1.2,
    "10/10": 3.0,
    # A problem reported (VADER has problem -1.7).
    "issue": -1.0,
    "issues": -1.0,
}
# Words VADER scores that name a topic or a courtesy in customer feedback, not a feeling: "the
# support team", "a price increase", "please check the invoice", "I need help with".
TOPIC_WORDS = ("support", "supported", "supporting", "supports", "increase", "please", "help")
# The same words, and the questions people ask, are no input to the model either (subtitles,
# where it learnt English, say "please" and "question" mostly in fear or anger).
_TOPIC = frozenset(TOPIC_WORDS) | {"question", "questions"}


@functools.cache
def model() -> dict[str, Any]:
    """The shipped model: per language its weights, bias and neutral band, and its version."""
    import numpy as np

    with np.load(MODEL_FILE, allow_pickle=False) as saved:
        languages = [str(lang) for lang in saved["languages"]]
        return {
            "version": str(saved["version"]),
            "languages": {
                lang: {
                    "weights": saved["weights"][i].astype(np.float64),
                    "bias": float(saved["bias"][i]),
                    "neutral_below": float(saved["neutral_below"][i]),
                    "neutral_above": float(saved["neutral_above"][i]),
                }
                for i, lang in enumerate(languages)
            },
        }


@functools.cache
def model_fingerprint() -> str:
    """The first 12 hex digits of the model file's SHA-256."""
    return hashlib.sha256(MODEL_FILE.read_bytes()).hexdigest()[:12]


@functools.cache
def analyser() -> str:
    """The analyser that produced a score: the model's version and hash, and the libraries."""
    import numpy as np

    with np.load(MODEL_FILE, allow_pickle=False) as saved:
        version = str(saved["version"])
    # This module's own hash too: its features, negations and language rules decide the label
    # as much as the weights do, and a cached analysis must not outlive a change to them.
    rules = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    return (
        f"cx-pipeline sentiment model {version} ({model_fingerprint()}; "
        f"{', '.join(SUPPORTED_LANGUAGES)}; rules {rules}) with vaderSentiment "
        f"{metadata.version('vaderSentiment')} and {len(DOMAIN_LEXICON)} service words; "
        f"py3langid {metadata.version('py3langid')}"
    )


@functools.cache
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()
    vader.lexicon.update(DOMAIN_LEXICON)
    for word in TOPIC_WORDS:
        vader.lexicon.pop(word, None)
    return vader


@functools.cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE as LANGID_MODEL
    from py3langid.langid import LanguageIdentifier

    return LanguageIdentifier.from_model_file(LANGID_MODEL, norm_probs=True)


def language(text: str) -> str:
    """ISO 639-1 code of the text's language: the detector's first choice when it is English or
    another language the model reads. Else English when English has at least ENGLISH_FLOOR of
    the probability, or the detector is unsure (under UNSURE) of a text holding a word of VADER's
    English lexicon ("fine", "meh", "bad" alone look like Serbian or Malay); else the most likely
    language the model reads when it has at least SUPPORTED_FLOOR ("Vamos, hombre." looks
    Galician); else the detector's first choice."""
    if sum(ch.isalpha() for ch in text) < MIN_LETTERS:
        return "en"
    ranked = _identifier().rank(text)
    top, probability = ranked[0]
    if top in SUPPORTED_LANGUAGES:
        return str(top)
    if dict(ranked).get("en", 0.0) >= ENGLISH_FLOOR:
        return "en"
    if probability < UNSURE:
        lexicon = _vader().lexicon
        if any(word.strip(".,;:!?\"'()").lower() in lexicon for word in text.split()):
            return "en"
    for lang, likelihood in ranked:
        if lang in SUPPORTED_LANGUAGES and likelihood >= SUPPORTED_FLOOR:
            return str(lang)
    return str(top)


def tokens(text: str, lang: str) -> list[str]:
    """Lower-case words, numbers, emoticons and punctuation; a word after a negation, up to the
    next punctuation, is marked 'not_'; one after a contrast word (outside a negation) 'but_'."""
    negations, contrasts = NEGATIONS.get(lang, set()), CONTRASTS.get(lang, set())
    found: list[str] = []
    negated = contrasted = False
    for token in _TOKEN.findall(unicodedata.normalize("NFC", text.replace("\u2019", "'"))):
        low = token.lower()
        if low in _BREAK:
            negated = False
            found.append(low)
            continue
        if low in contrasts:
            negated, contrasted = False, True
            found.append(low)
            continue
        if negated:
            found.append("not_" + low)
        elif contrasted:
            found.append("but_" + low)
        else:
            found.append(low)
        if low in negations or low.endswith("n't") or (lang == "fr" and low.startswith("n'")):
            negated = True
    return found


def _plain(token: str) -> str:
    return token.removeprefix("not_").removeprefix("but_")


def _bucket(feature: str) -> int:
    return zlib.crc32(feature.encode("utf-8")) % HASH_DIM


def features(text: str, lang: str) -> tuple[list[int], list[float], list[float]]:
    """(indices, values) of the hashed features, and VADER's scores for English (else zeros).
    Words and bigrams, and character n-grams of each word, each group scaled to unit length;
    topic and courtesy words (TOPIC_WORDS, "question") left out."""
    words = [w for w in tokens(text, lang) if _plain(w) not in _TOPIC]
    grams = {f"w {w}" for w in words} | {f"b {a} {b}" for a, b in itertools.pairwise(words)}
    # A word after a contrast counts as itself too ("great but_terrible" is still terrible).
    grams |= {f"w {w.removeprefix('but_')}" for w in words if w.startswith("but_")}
    chars: set[str] = set()
    for word in words:
        plain = _plain(word)
        if not plain[:1].isalpha():
            continue
        padded = f"<{plain}>"
        for n in (3, 4, 5):
            chars.update(f"c {padded[i : i + n]}" for i in range(len(padded) - n + 1))
    counts: dict[int, float] = {}
    for group in (grams, chars):
        if group:
            weight = 1.0 / math.sqrt(len(group))
            for feature in group:
                index = _bucket(feature)
                counts[index] = counts.get(index, 0.0) + weight
    dense = [0.0] * len(DENSE)
    if lang == "en":
        vader = _vader().polarity_scores(text)
        dense = [vader["compound"], vader["pos"], vader["neg"], vader["neu"]]
    return list(counts), list(counts.values()), dense


def label(score: float | None, lang: str = "en") -> str:
    """positive / negative outside the language's neutral band, neutral inside, and
    'unsupported' without a score."""
    if score is None:
        return UNSUPPORTED
    band = model()["languages"][lang]
    if score >= band["neutral_above"]:
        return "positive"
    if score <= band["neutral_below"]:
        return "negative"
    return "neutral"


def sentiment_score(text: str, lang: str) -> float | None:
    """2p - 1 for the model's probability p that the text is positive; None for a language the
    model does not read."""
    if lang not in SUPPORTED_LANGUAGES:
        return None
    weights = model()["languages"][lang]
    indices, values, dense = features(text, lang)
    w = weights["weights"]
    z = weights["bias"] + sum(w[i] * v for i, v in zip(indices, values, strict=True))
    z += sum(w[HASH_DIM + k] * d for k, d in enumerate(dense))
    return round(2.0 / (1.0 + math.exp(-z)) - 1.0, 6)


def analyse(text: str) -> dict[str, Any]:
    """{language, score, label} of one text: the model's score when it reads the language,
    else no score and 'unsupported'."""
    lang = language(text)
    score = sentiment_score(text, lang)
    return {"language": lang, "score": score, "label": label(score, lang)}


RESULT_TYPE = {"language": "VARCHAR", "score": "DOUBLE", "label": "VARCHAR"}


def _analyse_column(texts: Any) -> Any:
    """Arrow in, arrow out: DuckDB hands a vector of texts at a time (nulls stay null)."""
    import pyarrow as pa

    results = [None if t is None else analyse(t) for t in texts.to_pylist()]
    return pa.array(
        results,
        type=pa.struct(
            [("language", pa.string()), ("score", pa.float64()), ("label", pa.string())]
        ),
    )


def register(con: duckdb.DuckDBPyConnection) -> None:
    """text_sentiment(text) -> {language, score, label} on this connection (imports nothing
    until a query calls it)."""
    create_function_once(
        con,
        "text_sentiment",
        _analyse_column,
        [duckdb.sqltypes.VARCHAR],
        duckdb.struct_type(RESULT_TYPE),
    )
