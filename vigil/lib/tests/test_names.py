from __future__ import annotations

from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from vigil.lib.names import (
    NICKNAMES,
    NameMatch,
    canonical_first_names,
    compare,
    name_keys,
    normalise_name,
    score,
    unicode_fold,
)

names_text = st.text(max_size=60)
latin_names = st.lists(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzéñüÁ '-.,", min_size=1, max_size=12),
    min_size=1,
    max_size=4,
).map(" ".join)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("SMITH, John", "john smith"),
        ("Smith, John Quincy", "john quincy smith"),
        ("John Q. Smith", "john smith"),
        ("Dr. John Smith Jr.", "john smith"),
        ("Smith, Mrs. Jane, III", "jane smith"),
        ("José Núñez", "jose nunez"),
        ("Łukasz Ærø-Øster", "lukasz aero oster"),
        ("O'Brien, Conan", "conan obrien"),
        ("J. Smith", "j smith"),
        ("  ", ""),
        ("Mr.", ""),
    ],
)
def test_it_normalises_names(raw: str, expected: str) -> None:
    assert normalise_name(raw) == expected


def test_it_folds_unicode_to_a_fixed_point() -> None:
    assert unicode_fold("İSTANBUL ℌ") == unicode_fold(unicode_fold("İSTANBUL ℌ"))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Jonathan Smith", "Jonathon Smith"),  # typo
        ("Bill Clinton", "William Clinton"),  # nickname
        ("Bob Dylan", "Robert Dylan"),
        ("Liz Taylor", "Elizabeth Taylor"),
        ("Sasha Petrov", "Alexander Petrov"),
        ("Peggy Olson", "Margaret Olson"),
        ("SMITH, John", "John Smith"),  # reorder
        ("Smith John", "John Smith"),
        ("John Q. Smith", "John Smith"),  # middle initial
        ("José Núñez", "Jose Nunez"),  # accents
        ("John Smith", "John Smyth"),  # phonetic surname typo
        ("Christopher Walken", "Christoper Walken"),
        ("Maria Garcia Lopez", "Maria Garcia"),  # compound surname
        ("Muhammad Ali", "Mohamed Ali"),
    ],
)
def test_it_matches_the_same_person(a: str, b: str) -> None:
    assert score(a, b) >= 0.9
    assert compare(a, b) is not None
    assert name_keys(a) & name_keys(b), "a true match must share a blocking key"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("John Smith", "Joan Smyth"),
        ("Maria Garcia", "Mario Garza"),
        ("Michael Johnson", "Michelle Johnston"),
        ("Ann Lee", "Anna Li"),
        ("John Smith", "Jane Smith"),
        ("Tom Ford", "Tim Ford"),
        ("John Paul Smith", "John Paul Jones"),
        ("John Paul Smith", "John Peter Smith"),
        ("Maria Garcia Lopez", "Maria Garcia Perez"),
        ("J Smith", "John Smith"),
        ("Smith", "John Smith"),
    ],
)
def test_it_keeps_near_misses_below_the_threshold(a: str, b: str) -> None:
    assert score(a, b) < 0.9
    assert compare(a, b) is None


def test_it_has_a_real_nickname_table() -> None:
    assert len(NICKNAMES) >= 60
    for nick, canonical in [
        ("bill", "william"),
        ("billy", "william"),
        ("will", "william"),
        ("bobby", "robert"),
        ("beth", "elizabeth"),
        ("betty", "elizabeth"),
        ("jimmy", "james"),
        ("mike", "michael"),
        ("dick", "richard"),
        ("rich", "richard"),
        ("tom", "thomas"),
        ("kate", "katherine"),
        ("katie", "katherine"),
        ("tony", "anthony"),
        ("chris", "christopher"),
        ("alex", "alexander"),
        ("sasha", "alexander"),
        ("maggie", "margaret"),
        ("jack", "john"),
        ("johnny", "john"),
        ("danny", "daniel"),
        ("dave", "david"),
        ("steve", "stephen"),
        ("steven", "stephen"),
        ("joe", "joseph"),
        ("sam", "samuel"),
        ("ted", "edward"),
        ("eddie", "edward"),
    ]:
        assert canonical in canonical_first_names(nick), nick
    for canonicals in NICKNAMES.values():
        for canonical in canonicals:
            assert canonical_first_names(canonical) >= {canonical}


def test_it_blocks_on_surname_phonetics_and_first_name() -> None:
    keys = name_keys("Bill Clinton")
    assert "KLNTN|william" in keys
    assert "KLNTN|b" in keys  # initial: robust to a typo in the first name
    assert name_keys("Jonathan Smith") & name_keys("Jonathn Smith")
    assert name_keys("") == set()
    assert name_keys("Madonna") == {"MTN|"}


def test_it_boosts_on_equal_dates_of_birth() -> None:
    dob = date(1990, 3, 4)
    plain = compare("John Smith", "John Smyth")
    boosted = compare("John Smith", "John Smyth", dob_a=dob, dob_b=dob)
    assert plain is not None and boosted is not None
    assert boosted.score == pytest.approx(min(1.0, plain.score + 0.05))
    assert "same date of birth" in boosted.reason
    # The boost can lift a borderline pair over the threshold, never a near miss.
    assert compare("John Smith", "Joan Smyth", dob_a=dob, dob_b=dob) is None


def test_it_vetoes_on_different_dates_of_birth() -> None:
    assert (
        compare("John Smith", "John Smith", dob_a=date(1990, 3, 4), dob_b=date(1981, 3, 4)) is None
    )
    # One mistyped digit is a transcription error, not another person (issue 15).
    one = compare("John Smith", "John Smith", dob_a=date(1990, 3, 4), dob_b=date(1991, 3, 4))
    assert one is not None and "one digit" in one.reason
    assert compare("John Smith", "John Smith", dob_a=date(1990, 3, 4), dob_b=None) is not None


def test_it_tolerates_a_day_month_swap() -> None:
    match = compare("John Smith", "John Smith", dob_a=date(1990, 3, 4), dob_b=date(1990, 4, 3))
    assert match == NameMatch(score=1.0, reason="exact; date of birth day/month swapped")


def test_it_applies_the_threshold() -> None:
    assert compare("John Smith", "Joan Smyth", threshold=0.8) is not None
    assert compare("John Smith", "John Smith", threshold=1.0) is not None


@given(names_text, names_text)
def test_it_never_raises_and_stays_in_range(a: str, b: str) -> None:
    value = score(a, b)
    assert 0.0 <= value <= 1.0
    name_keys(a)
    compare(a, b, dob_a=date(2000, 1, 2), dob_b=date(2000, 2, 1))


@given(st.one_of(names_text, latin_names), st.one_of(names_text, latin_names))
def test_it_is_symmetric(a: str, b: str) -> None:
    assert score(a, b) == score(b, a)


@given(st.one_of(names_text, latin_names))
def test_it_scores_a_name_against_itself_as_one(a: str) -> None:
    assume(normalise_name(a))
    assert score(a, a) == 1.0


@given(st.one_of(names_text, latin_names))
def test_it_normalises_idempotently(raw: str) -> None:
    once = normalise_name(raw)
    assert normalise_name(once) == once
    assert name_keys(once) == name_keys(raw)
