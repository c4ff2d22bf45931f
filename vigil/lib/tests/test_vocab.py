"""Partners' vocabulary: age ranges and relationships (table-driven)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigil.lib import vocab


@pytest.mark.parametrize(
    "text, expected",
    [
        ("8-10", (8, 10)),
        ("12-14", (12, 14)),
        ("5-7", (5, 7)),
        ("8–10", (8, 10)),
        ("8 — 10", (8, 10)),
        ("8 to 10", (8, 10)),
        ("8 to 10 years", (8, 10)),
        ("12+", (12, 17)),
        ("over 12", (13, 17)),
        ("under 5", (0, 4)),
        ("Under 13", (0, 12)),
        ("7", (7, 7)),
        ("7 years old", (7, 7)),
        ("0-2", (0, 2)),
        ("16-17", (16, 17)),
        ("unknown", (None, None)),
        ("Unknown", (None, None)),
        ("", (None, None)),
        (None, (None, None)),
    ],
)
def test_it_reads_the_age_ranges_partners_write(text, expected):
    assert vocab.parse_age_range(text) == expected


@pytest.mark.parametrize("text", ["10-8", "18", "12-20", "adult", "under 0", "teen", "3-5-7"])
def test_it_refuses_what_is_not_a_child_age_range_with_a_clear_message(text):
    with pytest.raises(vocab.VocabError) as exc:
        vocab.parse_age_range(text)
    assert "age range" in str(exc.value) or "outside" in str(exc.value)


def test_it_formats_the_canonical_form():
    assert vocab.format_age_range(8, 10) == "8-10"
    assert vocab.format_age_range(7, 7) == "7"
    assert vocab.format_age_range(None, None) == "unknown"


@pytest.mark.parametrize(
    "label, code",
    [
        ("family member", "relative"),
        ("Family Member", "relative"),
        ("FAMILY_MEMBER", "relative"),
        ("acquaintance", "acquaintance"),
        ("family friend", "family_friend"),
        ("Family friend", "family_friend"),
        ("neighbor", "neighbour"),
        ("babysitter", "caregiver"),
        ("Caregiver", "caregiver"),
        ("coach", "teacher_coach"),
        ("teacher", "teacher_coach"),
        ("online contact", "online_contact"),
        ("met online", "online_contact"),
        ("stranger", "stranger"),
        ("father", "parent"),
        ("stepfather", "step_parent"),
        ("teacher_coach", "teacher_coach"),
        ("parent", "parent"),
        ("unknown", "unknown"),
    ],
)
def test_it_maps_relationship_labels_and_synonyms_in_any_case(label, code):
    assert vocab.map_relationship(label) == (code, "")


def test_it_keeps_an_unmapped_relationship_as_other_with_its_text():
    assert vocab.map_relationship("landlord's son") == ("other", "landlord's son")


@given(st.text(max_size=30))
def test_it_never_raises_anything_but_a_vocab_error(text):
    try:
        low, high = vocab.parse_age_range(text)
    except vocab.VocabError:
        return
    assert (low is None and high is None) or 0 <= low <= high <= 17
    vocab.map_relationship(text)
