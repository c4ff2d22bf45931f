"""Jurisdiction suggestion for a tip or a cluster, with the evidence shown.

Evidence comes from providers in a small registry. Built in: the suspect's
postal address (address selectors) and the phone number's region (phone
selectors, phonenumbers' offline data). Other apps add theirs from their own
AppConfig.ready() without this module importing them::

    from vigil.referrals import jurisdiction

    def subscriber_addresses(tips):
        for resp in SubpoenaResponse.objects.filter(subpoena__tip__in=tips):
            place = jurisdiction.place_from_address(resp.subscriber_address)
            if place:
                yield jurisdiction.Evidence(
                    kind="subscriber_address", label="Subscriber address (subpoena response)",
                    value=resp.subscriber_address, place=place, tip_id=resp.subpoena.tip_id,
                    source=f"subpoena {resp.subpoena_id}")

    jurisdiction.register_provider("subscriber_address", subscriber_addresses)

A provider takes a list of tips and yields `Evidence`; it must only read.

Rules: a U.S. place → the field office whose area covers it (county areas
before whole-state areas); outside the U.S. → the attaché office covering the
country, and the foreign agencies covering it. Evidence at different places
is a conflict: every place is shown with its evidence and nothing is chosen.
Evidence pointing at a place covered by an outside agency marks the tip as in
another agency's jurisdiction (it can be referred there instead).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from vigil.referrals.models import Area, Office
from vigil.referrals.places import Place, parse_address, region_for_phone
from vigil.tips.models import Selector

place_from_address = parse_address


@dataclass(frozen=True)
class Evidence:
    kind: str  # suspect_address, phone_region, subscriber_address, ip_owner_country, …
    label: str  # what a person reads: "Suspect's address"
    value: str  # the datum as shown (never an SSN or card number)
    place: Place
    tip_id: int | None = None
    source: str = ""  # where it came from: "selector 12", "subpoena 3 response"
    detail: str = ""  # e.g. the phone number's geocoded description


Provider = Callable[[list], Iterable[Evidence]]
_providers: dict[str, Provider] = {}


def register_provider(name: str, provider: Provider) -> Provider:
    _providers[name] = provider
    return provider


def unregister_provider(name: str) -> None:
    _providers.pop(name, None)


def providers() -> dict[str, Provider]:
    return dict(_providers)


def suspect_addresses(tips: list) -> Iterable[Evidence]:
    rows = Selector.objects.filter(tip__in=[t.pk for t in tips], type=Selector.Type.ADDRESS)
    for s in rows:
        place = parse_address(s.raw or s.value)
        if place is not None:
            yield Evidence(
                kind="suspect_address",
                label="Suspect's address",
                value=s.raw or s.value,
                place=place,
                tip_id=s.tip_id,
                source=f"selector {s.pk}",
            )


def phone_regions(tips: list) -> Iterable[Evidence]:
    rows = Selector.objects.filter(tip__in=[t.pk for t in tips], type=Selector.Type.PHONE)
    for s in rows:
        place, description = region_for_phone(s.value)
        if place is not None:
            yield Evidence(
                kind="phone_region",
                label="Phone number's region",
                value=s.display,
                place=place,
                tip_id=s.tip_id,
                source=f"selector {s.pk}",
                detail=description,
            )


def register_builtin_providers() -> None:
    register_provider("suspect_address", suspect_addresses)
    register_provider("phone_region", phone_regions)


@dataclass
class PlaceFinding:
    place: Place
    evidence: list[Evidence] = field(default_factory=list)
    offices: list = field(default_factory=list)  # our offices covering the place, best first
    agencies: list = field(default_factory=list)  # outside agencies covering it
    split: bool = False  # the state is split by county and the evidence names no county

    @property
    def foreign(self) -> bool:
        return self.place.country != "US"


@dataclass
class Suggestion:
    evidence: list[Evidence]
    findings: list[PlaceFinding]

    @property
    def conflict(self) -> bool:
        """Evidence at more than one place (two states, two countries, two counties of a
        state that different offices cover): never resolved here."""
        return len(self._distinct_places()) > 1 or self._counties_disagree()

    def _distinct_places(self) -> set[tuple[str, str]]:
        places = {(f.place.country, f.place.state) for f in self.findings}
        # "somewhere in the U.S." does not conflict with a U.S. state.
        if any(s for c, s in places if c == "US"):
            places.discard(("US", ""))
        return places

    def _counties_disagree(self) -> bool:
        # Two counties of one state pointing at different offices (Kings County and Erie
        # County, New York); counties one office covers (Kings and Queens) agree.
        counties = [f for f in self.findings if f.place.county]
        offices = {frozenset(o.pk for o in f.offices) for f in counties}
        return len(counties) > 1 and len(offices) > 1

    @property
    def office(self):
        """The one office to propose, only when the evidence agrees and names exactly one."""
        if self.conflict:
            return None
        offices = {o.pk: o for f in self.findings for o in f.offices}
        return next(iter(offices.values())) if len(offices) == 1 else None

    @property
    def other_agencies(self) -> list:
        seen: dict[int, object] = {}
        for f in self.findings:
            for a in f.agencies:
                seen.setdefault(a.pk, a)
        return list(seen.values())

    @property
    def other_agency_jurisdiction(self) -> bool:
        """The evidence points at a place an outside agency covers, or outside the U.S."""
        return bool(self.other_agencies) or any(f.foreign for f in self.findings)


def collect(tips: list) -> list[Evidence]:
    evidence: list[Evidence] = []
    for provider in list(_providers.values()):
        evidence.extend(provider(tips))
    return evidence


def offices_for(place: Place) -> tuple[list, list, bool]:
    """(our offices, outside agencies, state split by county?) whose areas cover `place`."""
    from django.db.models import Q

    if place.country == "US" and place.state:
        wanted = Q(country="US", state=place.state, county="") | Q(
            country="US", state="", county=""
        )
        if place.county:
            wanted |= Q(country="US", state=place.state, county=place.county)
    else:
        wanted = Q(country=place.country, state="", county="")
    areas = list(Area.objects.filter(wanted, office__active=True).select_related("office"))
    split = False
    if place.country == "US" and place.state and not place.county:
        split = (
            Area.objects.filter(
                country="US", state=place.state, office__active=True, office__kind__in=_internal()
            )
            .exclude(county="")
            .exists()
        )
        if split:
            areas += list(
                Area.objects.filter(country="US", state=place.state, office__active=True)
                .exclude(county="")
                .select_related("office")
            )

    def rank(area) -> int:
        # County beats state beats the whole country.
        return 0 if area.county else (1 if area.state else 2)

    ours: dict[int, object] = {}
    theirs: dict[int, object] = {}
    for area in sorted(areas, key=rank):
        target = theirs if area.office.is_outside else ours
        target.setdefault(area.office.pk, area.office)
    if place.country == "US" and place.state and ours:
        # The most specific of our areas wins: a county office over the rest of its state,
        # a state office over a nationwide one. (Outside agencies are all listed.)
        mine = [a for a in areas if not a.office.is_outside]
        if place.county and any(a.county == place.county for a in mine):
            keep = {a.office.pk for a in mine if a.county == place.county}
        elif not split:
            keep = {a.office.pk for a in mine if a.state} or set(ours)
        else:
            keep = set(ours)
        ours = {k: v for k, v in ours.items() if k in keep}
    return list(ours.values()), list(theirs.values()), split


def _internal() -> list[str]:
    return list(Office.INTERNAL_KINDS)


def suggest(tips: list) -> Suggestion:
    evidence = collect(list(tips))
    by_place: dict[Place, PlaceFinding] = {}
    for e in evidence:
        key = Place(e.place.country, e.place.state, e.place.county)
        finding = by_place.get(key)
        if finding is None:
            finding = by_place[key] = PlaceFinding(place=key)
        finding.evidence.append(e)
    for finding in by_place.values():
        finding.offices, finding.agencies, finding.split = offices_for(finding.place)
    findings = sorted(by_place.values(), key=lambda f: (-len(f.evidence), f.place.code))
    return Suggestion(evidence=evidence, findings=findings)
