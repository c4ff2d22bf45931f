import pytest

from vigil.deconfliction.models import Link
from vigil.deconfliction.tests import factories as f
from vigil.referrals import jurisdiction, packet
from vigil.referrals.models import Area, Office


@pytest.fixture(autouse=True)
def _no_mfa(settings, tmp_path):
    settings.REQUIRE_MFA = False
    settings.SHARE_DIR = tmp_path / "shares"


@pytest.fixture(autouse=True)
def _registries():
    """A test may register or unregister evidence providers and packet sections: the ones
    the apps registered at start-up (subpoenas, look-ups) come back after it."""
    providers, sections = dict(jurisdiction._providers), dict(packet._sections)
    yield
    jurisdiction._providers.clear()
    jurisdiction._providers.update(providers)
    packet._sections.clear()
    packet._sections.update(sections)


def office(code, kind, *areas, **extra):
    o = Office.objects.create(code=code, name=extra.pop("name", code.title()), kind=kind, **extra)
    for area in areas:
        country, _, rest = area.partition("-")
        state, _, county = rest.partition(":")
        Area.objects.create(office=o, country=country, state=state, county=county)
    return o


@pytest.fixture
def directory(db):
    K = Office.Kind
    return {
        "newark": office("newark", K.FIELD_OFFICE, "US-NJ", name="HSI Newark"),
        "newyork": office("newyork", K.FIELD_OFFICE, "US-NY:kings", name="HSI New York"),
        "buffalo": office("buffalo", K.FIELD_OFFICE, "US-NY", name="HSI Buffalo"),
        "chicago": office("chicago", K.FIELD_OFFICE, "US-IL", name="HSI Chicago"),
        "sanjuan": office("sanjuan", K.FIELD_OFFICE, "US-PR", name="HSI San Juan"),
        "berlin": office("berlin", K.ATTACHE, "DE", "AT", name="HSI Attaché Berlin"),
        "bka": office("bka", K.FOREIGN_POLICE, "DE", name="Bundeskriminalamt"),
        "icac": office("nj-icac", K.ICAC, "US-NJ", name="NJ ICAC Task Force"),
        "interpol": office("interpol", K.INTERPOL, name="INTERPOL"),
    }


def link(a, b, user=None):
    a, b = sorted([a, b], key=lambda t: t.pk)
    return Link.objects.create(tip_a=a, tip_b=b, note="same person", created_by=user)


@pytest.fixture
def tip(personas):
    t = f.tip("T-1", assigned=personas.investigator)
    f.selector(t, "address", "12 Main St, Newark, NJ 07102")
    f.selector(t, "ip", "203.0.113.7")
    f.selector(t, "email", "suspect@example.org")
    return t
