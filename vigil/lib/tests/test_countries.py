"""ISO 3166-1 alpha-2 codes: every assigned one, Kosovo's XK, nothing made up."""

from __future__ import annotations

from vigil.lib import countries


def test_it_knows_the_assigned_codes_and_refuses_others():
    names = countries.names_by_code()
    assert len(names) >= 250
    for code in ("US", "GB", "DE", "AQ", "UM", "XK", "PR"):
        assert countries.is_country(code), code
    for code in ("ZZ", "XX", "UK", "EU", "us", "USA", ""):
        assert not countries.is_country(code), code
    assert names["DE"] == "Germany" and names["XK"] == "Kosovo"
