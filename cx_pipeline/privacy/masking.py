"""How a mart's personal columns are shown outside the warehouse: one rule, two places.

The serving file (serving/publish.py) hashes a mart's personal identifiers and masks the e-mail
addresses and phone numbers in its free text. A materialization's preview goes further: it is
kept in Dagster's event log, which an erasure cannot rewrite, so every column that links a row to
a person is hashed as the serving file hashes identifiers, and free text is withheld whole (the
words of a note or a comment are the person's even without their e-mail in them).
"""

from __future__ import annotations

import dataclasses
from typing import Protocol

from cx_pipeline.contract import ENTITIES
from cx_pipeline.privacy.erasure import PERSON_COLUMNS
from cx_pipeline.sql import quote


class MartSpec(Protocol):
    """What masking needs of a mart (marts/builder.py), named here so this rule sits below the
    marts that use it."""

    name: str
    columns: tuple[tuple[str, str, str], ...]
    personal_identifiers: tuple[str, ...]
    free_text: tuple[str, ...]


WITHHELD = "[free text withheld]"
# Columns that name a person or hold what they wrote wherever a mart carries them under the
# contract's name, whether or not the mart declares them (a mart's contact_id, for one).
PERSON_IDENTIFIERS = frozenset(PERSON_COLUMNS) | {
    c.name for e in ENTITIES for c in e.columns if c.personal and not c.free_text
}
FREE_TEXT = frozenset(c.name for e in ENTITIES for c in e.columns if c.free_text)


def masked(column: str, spec: MartSpec, withhold_free_text: bool = False) -> str:
    """The expression that shows `column`: hashed identifiers, masked (or withheld) free text."""
    name = quote(column)
    if column in spec.personal_identifiers:
        return f"CASE WHEN {name} IS NOT NULL THEN 'hash:' || left(sha256({name}), 16) END"
    if column in spec.free_text:
        if withhold_free_text:
            return f"CASE WHEN {name} IS NOT NULL THEN '{WITHHELD}' END"
        is_list = dict((c, t) for c, t, _ in spec.columns)[column].endswith("[]")
        text = "quote" if is_list else name
        masked_text = f"mask_contact_details({text})"
        return f"list_transform({name}, quote -> {masked_text})" if is_list else masked_text
    return name


def preview_columns(spec: MartSpec) -> str:
    """The SELECT list of a mart's preview: nothing in it identifies a person or quotes them."""
    names = [c for c, _, _ in spec.columns]
    shown = dataclasses.replace(
        spec,
        personal_identifiers=(
            *spec.personal_identifiers,
            *(c for c in names if c in PERSON_IDENTIFIERS and c not in spec.free_text),
        ),
        free_text=(*spec.free_text, *(c for c in names if c in FREE_TEXT)),
    )
    return ", ".join(f"{masked(c, shown, withhold_free_text=True)} AS {quote(c)}" for c in names)
