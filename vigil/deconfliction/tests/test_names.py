from __future__ import annotations

import pytest

from vigil.deconfliction.models import NAME, Flag, PersonKey, TipNotice
from vigil.deconfliction.tests import factories as f

pytestmark = pytest.mark.django_db


def _pair(name_a: str, name_b: str, *, dob_a: str | None = None, dob_b: str | None = None):
    a, b = f.tip(), f.tip()
    f.add(a, "person", name_a, **({"dob": dob_a} if dob_a else {}))
    raised = f.add(b, "person", name_b, **({"dob": dob_b} if dob_b else {}))
    return raised, Flag.objects.filter(tip_a=a, tip_b=b, type=NAME).first()


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("John Smith", "John Smith"),
        ("Jonathan Smith", "Jonathon Smith"),  # typo
        ("Katherine Johnson", "Katherine Jonhson"),  # transposition
        ("William Turner", "Bill Turner"),  # nickname
        ("Robert Miller", "Bob Miller"),
        ("Elizabeth Taylor", "Liz Taylor"),
        ("SMITH, John", "John Smith"),  # LAST, FIRST
        ("Garcia Maria", "Maria Garcia"),  # reordered
        ("John Q. Public", "John Public"),  # middle initial
        ("Dr. José Álvarez Jr.", "Jose Alvarez"),  # titles, accents
    ],
)
def test_it_flags_names_that_name_one_person(first, second):
    raised, flag = _pair(first, second)
    assert raised == 1, f"{first!r} ~ {second!r} should flag"
    assert flag is not None and flag.score is not None and flag.score >= 0.9
    assert flag.match_reason


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("John Smith", "Jane Smith"),
        ("Michael Brown", "Michelle Brown"),
        ("Robert Miller", "Roberta Mills"),
        ("David Lee", "Daniel Lee"),
        ("Peter Novak", "Paul Novak"),
        ("Steven Clark", "Stella Clark"),
        ("Anna Kowalski", "Anna Kowalczyk"),
    ],
)
def test_it_keeps_near_misses_below_the_threshold(first, second):
    raised, flag = _pair(first, second)
    assert raised == 0 and flag is None, f"{first!r} ~ {second!r} should not flag"


def test_it_vetoes_a_name_match_on_different_dates_of_birth():
    raised, _ = _pair("John Smith", "John Smith", dob_a="1980-01-02", dob_b="1975-06-30")
    assert raised == 0


def test_it_boosts_a_name_match_on_the_same_date_of_birth(settings):
    settings.NAME_MATCH_THRESHOLD = 0.93
    # 0.9025 on the names alone: below this threshold, above it with the same date of birth.
    plain, _ = _pair("Jonathan Kowalski", "Jonathon Kowalsky")
    assert plain == 0
    Flag.objects.all().delete()
    f.Selector.objects.all().delete()
    boosted, flag = _pair(
        "Jonathan Kowalski", "Jonathon Kowalsky", dob_a="1980-01-02", dob_b="1980-01-02"
    )
    assert boosted == 1 and flag is not None
    assert "date of birth" in flag.match_reason


def test_it_uses_the_setting_as_threshold(settings):
    settings.NAME_MATCH_THRESHOLD = 0.999
    raised, _ = _pair("Jonathan Smith", "Jonathon Smith")
    assert raised == 0


def test_it_indexes_blocking_keys_instead_of_scanning():
    a = f.tip()
    f.add(a, "person", "William Turner")
    keys = set(PersonKey.objects.values_list("key", flat=True))
    assert keys and all("|" in k for k in keys)


def test_it_treats_a_very_common_name_as_a_common_value(settings):
    settings.COMMON_VALUE_THRESHOLD = 2
    tips = [f.tip() for _ in range(3)]
    f.add(tips[0], "person", "John Smith")
    f.add(tips[1], "person", "John Smith")
    assert f.add(tips[2], "person", "John Smith") == 0
    assert TipNotice.objects.filter(tip=tips[2], type="person").exists()


def test_it_stores_both_spellings_on_a_name_flag():
    _, flag = _pair("William Turner", "Bill Turner")
    assert flag.value == "william turner" and flag.value_b == "bill turner"
    assert "William Turner" in flag.display and "Bill Turner" in flag.display
