"""Partners' vocabulary for what is known of a victim: age ranges and relationships.

Partners do not share one vocabulary ("8-10", "12 to 14", "under 5", "family
member", "babysitter"). These functions turn what a partner wrote into Vigil's
terms, or say clearly why they cannot; the caller decides whether that is a
form error or a warning on one field (an import never loses a series over it).
Pure: no Django.
"""

from __future__ import annotations

import re
import unicodedata

MAX_CHILD_AGE = 17


class VocabError(ValueError):
    """A value that cannot be read; the message says what is accepted."""


AGE_HELP = (
    "an age range such as 8-10, 8–10, 8 to 10, 12+, under 5, a single age, or unknown "
    f"(ages 0 to {MAX_CHILD_AGE})"
)

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_UNKNOWN = {"", "unknown", "unk", "n/a", "na", "not known", "?", "none", "null"}
_RANGE = re.compile(r"^(\d{1,3})\s*(?:-|to|/|\.\.)\s*(\d{1,3})$")
_PLUS = re.compile(r"^(\d{1,3})\s*\+$|^(?:over|above|older than)\s+(\d{1,3})$")
_UNDER = re.compile(r"^(?:under|below|younger than|less than|<)\s*(\d{1,3})$")
_SINGLE = re.compile(r"^(\d{1,3})$")
_YEARS = re.compile(r"\b(?:years? old|years?|yrs?|y/?o|ans|jahre|años)\b\.?")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text)).strip().lower()
    for dash in _DASHES:
        text = text.replace(dash, "-")
    text = _YEARS.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip(" .")


def parse_age_range(text: str | None) -> tuple[int | None, int | None]:
    """(minimum, maximum) years, or (None, None) for unknown. Raises VocabError."""
    if text is None:
        return None, None
    raw = str(text)
    value = _fold(raw)
    if value in _UNKNOWN:
        return None, None
    low: int | None
    high: int | None
    if m := _RANGE.match(value):
        low, high = int(m.group(1)), int(m.group(2))
    elif m := _PLUS.match(value):
        low, high = int(m.group(1) or m.group(2)), MAX_CHILD_AGE
        if m.group(2):  # "over 12" excludes 12
            low += 1
    elif m := _UNDER.match(value):
        high = int(m.group(1)) - 1
        low = 0
        if high < 0:
            raise VocabError(f"{raw!r} is not an age range: use {AGE_HELP}.")
    elif m := _SINGLE.match(value):
        low = high = int(m.group(1))
    else:
        raise VocabError(f"{raw!r} is not an age range: use {AGE_HELP}.")
    if not (0 <= low <= high <= MAX_CHILD_AGE):
        raise VocabError(
            f"{raw!r} is outside 0–{MAX_CHILD_AGE} years or its minimum exceeds its maximum: "
            f"use {AGE_HELP}."
        )
    return low, high


def format_age_range(low: int | None, high: int | None) -> str:
    """The canonical form stored and shown: '8-10', '7', or 'unknown'."""
    if low is None or high is None:
        return "unknown"
    return str(low) if low == high else f"{low}-{high}"


# Vigil's relationship codes and the labels shown for them.
RELATIONSHIPS: dict[str, str] = {
    "unknown": "Unknown",
    "parent": "Parent",
    "step_parent": "Step-parent",
    "relative": "Relative",
    "family_friend": "Family friend",
    "neighbour": "Neighbour",
    "caregiver": "Caregiver / babysitter",
    "acquaintance": "Acquaintance",
    "teacher_coach": "Teacher / coach",
    "online_contact": "Online contact",
    "stranger": "Stranger",
    "self_produced": "Self-produced",
    "other": "Other",
}

_SYNONYMS: dict[str, str] = {
    # parent
    "parent": "parent",
    "mother": "parent",
    "father": "parent",
    "mom": "parent",
    "mum": "parent",
    "dad": "parent",
    "biological parent": "parent",
    "parent/guardian": "parent",
    "guardian": "parent",
    "legal guardian": "parent",
    # step-parent
    "step parent": "step_parent",
    "stepparent": "step_parent",
    "step-parent": "step_parent",
    "stepfather": "step_parent",
    "step father": "step_parent",
    "stepmother": "step_parent",
    "step mother": "step_parent",
    "parent's partner": "step_parent",
    "mother's boyfriend": "step_parent",
    "father's girlfriend": "step_parent",
    # relative
    "relative": "relative",
    "family member": "relative",
    "family": "relative",
    "extended family": "relative",
    "sibling": "relative",
    "brother": "relative",
    "sister": "relative",
    "uncle": "relative",
    "aunt": "relative",
    "cousin": "relative",
    "grandparent": "relative",
    "grandfather": "relative",
    "grandmother": "relative",
    "in-law": "relative",
    "other relative": "relative",
    "familial": "relative",
    # family friend
    "family friend": "family_friend",
    "friend of family": "family_friend",
    "friend of the family": "family_friend",
    "family_friend": "family_friend",
    # neighbour
    "neighbour": "neighbour",
    "neighbor": "neighbour",
    # caregiver
    "caregiver": "caregiver",
    "care giver": "caregiver",
    "carer": "caregiver",
    "babysitter": "caregiver",
    "baby sitter": "caregiver",
    "baby-sitter": "caregiver",
    "nanny": "caregiver",
    "childminder": "caregiver",
    "child care": "caregiver",
    "childcare provider": "caregiver",
    "daycare": "caregiver",
    "foster parent": "caregiver",
    # acquaintance
    "acquaintance": "acquaintance",
    "known to victim": "acquaintance",
    "known to child": "acquaintance",
    "friend": "acquaintance",
    # teacher / coach
    "teacher": "teacher_coach",
    "coach": "teacher_coach",
    "teacher/coach": "teacher_coach",
    "teacher_coach": "teacher_coach",
    "tutor": "teacher_coach",
    "instructor": "teacher_coach",
    "youth leader": "teacher_coach",
    "youth worker": "teacher_coach",
    "clergy": "teacher_coach",
    "mentor": "teacher_coach",
    "school staff": "teacher_coach",
    # online contact
    "online contact": "online_contact",
    "online": "online_contact",
    "online_contact": "online_contact",
    "met online": "online_contact",
    "internet contact": "online_contact",
    "online acquaintance": "online_contact",
    "online friend": "online_contact",
    "social media contact": "online_contact",
    # stranger
    "stranger": "stranger",
    "unknown to victim": "stranger",
    "not known to victim": "stranger",
    # self-produced
    "self": "self_produced",
    "self-produced": "self_produced",
    "self produced": "self_produced",
    "self_produced": "self_produced",
    "self-generated": "self_produced",
    "self generated": "self_produced",
    # unknown
    "unknown": "unknown",
    "": "unknown",
    "n/a": "unknown",
    "not known": "unknown",
    "undetermined": "unknown",
    "none": "unknown",
    # other
    "other": "other",
}


def map_relationship(text: str | None) -> tuple[str, str]:
    """(code, kept text): a known label or synonym in any case gives its code and
    ""; an unmapped label gives ("other", the label as written)."""
    if text is None:
        return "unknown", ""
    raw = str(text).strip()
    key = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", raw).lower().replace("_", " "))
    key = key.strip(" .")
    for candidate in (key, key.replace(" ", "_"), re.sub(r"^(?:a|an|the) ", "", key)):
        if candidate in _SYNONYMS:
            return _SYNONYMS[candidate], ""
        if candidate in RELATIONSHIPS:
            return candidate, ""
    return "other", raw[:200]
