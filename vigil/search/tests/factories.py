"""Records that hold an identifier, built with plain ORM calls (tests may write)."""

from __future__ import annotations

import itertools

from django.utils import timezone

from vigil.deconfliction.tests import factories as f
from vigil.lookups.models import Provider
from vigil.referrals.models import Office, Referral
from vigil.subpoenas.models import Subpoena, SubpoenaIdentifier
from vigil.testing.personas import make_user
from vigil.tips.models import Source
from vigil.victimid.models import MatchRequest, Media, Series

_n = itertools.count(1)


def tip_with(type_: str, raw: str, **extra):
    """A tip with its own source and investigator holding one selector."""
    i = next(_n)
    source = Source.objects.create(name=f"Source {i}", kind=Source.Kind.PUBLIC)
    t = f.tip(f"S-{i}", src=source, assigned=make_user(f"inv{i}", "investigator"), **extra)
    f.selector(t, type_, raw)
    return t


def subpoena_naming(tip, type_: str, value: str) -> Subpoena:
    provider = Provider.objects.create(name=f"Provider {next(_n)}")
    s = Subpoena.objects.create(
        tip=tip, provider=provider, categories=["subscriber"], drafted_by=tip.assigned_to
    )
    SubpoenaIdentifier.objects.create(subpoena=s, type=type_, value=value)
    return s


def referral(tip, case_number: str) -> Referral:
    i = next(_n)
    office = Office.objects.create(code=f"office-{i}", name=f"Office {i}", kind="field_office")
    return Referral.objects.create(
        tip=tip,
        office=office,
        receiving_case_number=case_number,
        sent_at=timezone.now(),
        created_by=tip.assigned_to,
    )


def match_request(case_number: str) -> MatchRequest:
    return MatchRequest.objects.create(
        requesting_agency=f"Agency {next(_n)}", case_number=case_number
    )


def series(name: str) -> Series:
    return Series.objects.create(name=name)


def media(series_obj=None, **hashes) -> Media:
    return Media.objects.create(series=series_obj, kind="unknown", **hashes)
