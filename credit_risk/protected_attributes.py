"""Which columns of a lender's own data are protected attributes (ECOA, Regulation B; EU AI Act).

A protected attribute is never a model feature: it is kept beside the data for the fairness
check alone. Column names are matched case-insensitively, with any punctuation or spacing, on
whole words: `Sex`, `applicant_age`, `Marital Status` and `DOB` are protected; `mortgage` and
`usage` are not.
"""

from __future__ import annotations

import re

__all__ = ["PROTECTED_PHRASES", "PROTECTED_WORDS", "is_protected", "normalised"]

# One word of the column name is enough.
PROTECTED_WORDS = frozenset(
    {
        "sex",
        "gender",
        "race",
        "racial",
        "ethnicity",
        "ethnic",
        "religion",
        "religious",
        "nationality",
        "citizenship",
        "marital",
        "married",
        "age",
        "dob",
        "birthdate",
        "disability",
        "disabled",
        "pregnancy",
        "pregnant",
        "orientation",
    }
)
# These words together.
PROTECTED_PHRASES = (
    ("date", "of", "birth"),
    ("birth", "date"),
    ("year", "of", "birth"),
    ("national", "origin"),
    ("country", "of", "birth"),
    ("personal", "status"),  # sex and marital status in one column (the German credit data)
    ("skin", "colour"),
    ("skin", "color"),
)


def normalised(name: str) -> str:
    """lower_snake_case words of a column name ("Marital Status" → "marital_status")."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip())
    return re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")


def is_protected(name: str) -> bool:
    words = normalised(name).split("_")
    if PROTECTED_WORDS.intersection(words):
        return True
    return any(
        tuple(words[i : i + len(phrase)]) == phrase
        for phrase in PROTECTED_PHRASES
        for i in range(len(words) - len(phrase) + 1)
    )
