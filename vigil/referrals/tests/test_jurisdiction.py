"""Jurisdiction rules: each evidence kind, conflicts, counties, territories, attachés."""

import pytest

from vigil.deconfliction.tests import factories as f
from vigil.referrals import jurisdiction
from vigil.referrals.places import Place, parse_address, parse_area, region_for_phone

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12 Main St, Newark, NJ 07102", Place("US", "NJ")),
        ("5 Oak Ave, Austin, Texas", Place("US", "TX")),
        ("44 Elm Road, Springfield 62701", Place("US", "IL")),  # ZIP prefix only
        ("1 Court St, Brooklyn, Kings County, NY 11201, USA", Place("US", "NY", "kings")),
        ("1 Calle Luna, San Juan, PR 00901", Place("US", "PR")),
        ("Hauptstr. 5, 10115 Berlin, Germany", Place("DE")),
        ("3 High St, London, UK", Place("GB")),
        ("1 Main St, Los Angeles, CA 90001", Place("US", "CA")),
        ("somewhere", None),
    ],
)
def test_it_reads_the_place_of_an_address(text, expected):
    assert parse_address(text) == expected


def test_it_reads_the_region_of_a_phone_number():
    assert region_for_phone("+12015550123")[0] == Place("US", "NJ")
    assert region_for_phone("+17875551234")[0] == Place("US", "PR")
    assert region_for_phone("+4930123456")[0] == Place("DE")
    assert region_for_phone("not a number")[0] is None


def test_it_parses_directory_areas_and_refuses_bad_ones():
    assert parse_area("US-NY:Kings County") == Place("US", "NY", "kings")
    assert parse_area("PR") == Place("US", "PR")
    assert parse_area("de") == Place("DE")
    for bad in ("US-XX", "DE-BY", "Germany", "US:Kings", "QQ"):
        with pytest.raises(ValueError):
            parse_area(bad)


def test_it_suggests_the_office_of_the_suspects_address(directory, personas):
    t = f.tip(assigned=personas.investigator)
    f.selector(t, "address", "12 Main St, Newark, NJ 07102")
    s = jurisdiction.suggest([t])
    assert s.office == directory["newark"] and not s.conflict
    (finding,) = s.findings
    assert finding.evidence[0].kind == "suspect_address"
    # The state ICAC task force covers New Jersey too: another agency's jurisdiction.
    assert s.other_agencies == [directory["icac"]] and s.other_agency_jurisdiction


def test_it_suggests_from_the_phone_region(directory, personas):
    t = f.tip()
    f.selector(t, "phone", "+1 312 555 0100")
    s = jurisdiction.suggest([t])
    assert s.office == directory["chicago"]
    assert s.evidence[0].kind == "phone_region" and "IL" in s.evidence[0].detail


def test_it_shows_conflicting_states_and_chooses_nothing(directory):
    t = f.tip()
    f.selector(t, "address", "12 Main St, Newark, NJ 07102")
    f.selector(t, "phone", "+1 312 555 0100")
    s = jurisdiction.suggest([t])
    assert s.conflict and s.office is None
    assert {x.place.state for x in s.findings} == {"NJ", "IL"}
    assert {o.code for x in s.findings for o in x.offices} == {"newark", "chicago"}


def test_it_sends_foreign_evidence_to_the_attache_and_marks_the_foreign_agency(directory):
    t = f.tip()
    f.selector(t, "address", "Hauptstr. 5, 10115 Berlin, Germany")
    s = jurisdiction.suggest([t])
    assert s.office == directory["berlin"]
    assert s.other_agencies == [directory["bka"]] and s.other_agency_jurisdiction
    assert s.findings[0].foreign


def test_it_prefers_the_county_office_where_a_state_is_split(directory):
    t = f.tip()
    f.selector(t, "address", "1 Court St, Brooklyn, Kings County, NY 11201")
    assert jurisdiction.suggest([t]).office == directory["newyork"]
    u = f.tip()
    f.selector(u, "address", "5 Lake Rd, Buffalo, NY 14201")
    s = jurisdiction.suggest([u])
    # No county named: both offices are candidates and nothing is chosen silently.
    assert s.findings[0].split and s.office is None
    assert {o.code for o in s.findings[0].offices} == {"newyork", "buffalo"}


def test_it_treats_territories_as_states(directory):
    t = f.tip()
    f.selector(t, "phone", "+1 787 555 1234")
    assert jurisdiction.suggest([t]).office == directory["sanjuan"]


def test_it_takes_evidence_from_registered_providers(directory):
    """Subpoena responses and the look-ups app plug in without referrals importing them."""
    t = f.tip()

    def subscriber(tips):
        yield jurisdiction.Evidence(
            kind="subscriber_address",
            label="Subscriber address (subpoena response)",
            value="9 River Rd, Trenton, NJ 08601",
            place=jurisdiction.place_from_address("9 River Rd, Trenton, NJ 08601"),
            tip_id=tips[0].pk,
            source="subpoena 1",
        )

    def ip_owner(tips):
        yield jurisdiction.Evidence(
            kind="ip_owner_country",
            label="IP owner's country",
            value="203.0.113.7",
            place=Place("AT"),
            tip_id=tips[0].pk,
        )

    # Stand-ins for the apps' own providers (conftest puts theirs back after the test).
    jurisdiction.register_provider("subscriber_address", subscriber)
    jurisdiction.register_provider("ip_owner_country", ip_owner)
    s = jurisdiction.suggest([t])
    assert {e.kind for e in s.evidence} == {"subscriber_address", "ip_owner_country"}
    assert s.conflict  # New Jersey and Austria
    offices = {o.code for x in s.findings for o in x.offices}
    assert offices == {"newark", "berlin"}


def test_it_knows_nothing_without_evidence(directory):
    s = jurisdiction.suggest([f.tip()])
    assert s.findings == [] and s.office is None and not s.conflict
    assert not s.other_agency_jurisdiction


def test_it_reads_foreign_and_nationwide_phone_numbers():
    assert region_for_phone("+14165550123")[0] == Place("CA")  # NANP but Canada
    assert region_for_phone("+442079460000") == (Place("GB"), "London")
    assert region_for_phone("+18005550100")[0] == Place("US")  # toll-free: no state


def test_it_shows_two_counties_of_different_offices_as_a_conflict(directory):
    from vigil.referrals.tests.conftest import office

    office("erie", "field_office", "US-NY:erie", name="HSI Buffalo (Erie County)")
    t = f.tip()
    f.selector(t, "address", "1 Court St, Brooklyn, Kings County, NY 11201")
    f.selector(t, "address", "5 Lake Rd, Buffalo, Erie County, NY 14201")
    s = jurisdiction.suggest([t])
    assert s.conflict and s.office is None
    assert {x.place.county for x in s.findings} == {"kings", "erie"}
    # Two counties the same office covers agree: no conflict.
    directory["newyork"].areas.create(country="US", state="NY", county="queens")
    u = f.tip()
    f.selector(u, "address", "1 Court St, Brooklyn, Kings County, NY 11201")
    f.selector(u, "address", "9 Main St, Flushing, Queens County, NY 11354")
    s = jurisdiction.suggest([u])
    assert not s.conflict and s.office == directory["newyork"]


@pytest.mark.parametrize(
    ("address", "attache", "agencies"),
    [
        ("Hauptstr. 5, 10115 Berlin, Germany", "berlin", {"bka"}),
        ("Ringstrasse 1, 1010 Wien, Austria", "berlin", set()),  # the attaché covers AT too
        ("1 Rue de Rivoli, 75001 Paris, France", None, set()),  # no attaché for France
    ],
)
def test_it_picks_the_attache_office_by_country(directory, address, attache, agencies):
    t = f.tip()
    f.selector(t, "address", address)
    s = jurisdiction.suggest([t])
    assert s.office == (directory[attache] if attache else None)
    assert {a.code for a in s.other_agencies} == agencies
    # Abroad is another agency's jurisdiction even when no foreign agency is on file.
    assert s.other_agency_jurisdiction and s.findings[0].foreign and not s.conflict


def test_it_takes_a_foreign_phone_to_the_attache(directory):
    t = f.tip()
    f.selector(t, "phone", "+49 30 123456", region=None)
    s = jurisdiction.suggest([t])
    assert s.office == directory["berlin"] and s.evidence[0].kind == "phone_region"
    assert directory["bka"] in s.other_agencies
