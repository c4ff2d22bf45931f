"""The one search box: every tip, series, media, subpoena, referral and match request
that holds an identifier, each list scoped by the access module.

The query is read the way intake reads a selector (`tips.search.candidate_values`:
`lib.selectors.normalise` per type, SSNs and cards as their keyed hash), plus what is not
a selector: hashes of stored media (MD5, SHA-1, SHA-256, PDQ), a tip's source reference,
a subpoena's reference (SUB-2026-000123), a case number (a referral's receiving case, a
match request's) and a series name. Every probe is an indexed equality except the series
name, which also matches a part of the name (series are few).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import Q

from vigil.lib import selectors as sel
from vigil.referrals.models import Referral
from vigil.subpoenas.models import Subpoena
from vigil.tips import search as tips_search
from vigil.tips.models import Selector, Source, Tip
from vigil.victimid.models import MatchRequest, Media, Series

LIMIT = 50  # rows per kind; the page says when there were more
MAX_TIPS = 5000  # tips read for one value before the queue order picks the first LIMIT
MAX_QUERY = 500
_HEX = re.compile(r"[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}")
_SUBPOENA_REF = re.compile(r"SUB-(\d{4})-(\d{1,9})", re.IGNORECASE)
_HASH_FIELDS = {32: ("md5",), 40: ("sha1",), 64: ("sha256", "pdq")}


@dataclass
class Found:
    kind: str  # "tips", "series", …: the section of the page
    label: str
    rows: list
    more: bool = False


@dataclass
class Results:
    query: str
    searched_as: list[tuple[str, str]] = field(default_factory=list)  # shown (no hashed type)
    sections: list[Found] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(len(s.rows) for s in self.sections)


def clean(query: str) -> str:
    return " ".join((query or "").split())[:MAX_QUERY]


def selector_values(query: str) -> list[tuple[str, str]]:
    """(type, stored value) pairs the query may be: intake's normalising, plus a handle of
    unknown platform under every known platform (as deconfliction matches it)."""
    out = tips_search.candidate_values(query)
    for kind, value in list(out):
        if kind == sel.ONLINE_ID and value.startswith("unknown:"):
            handle = value.partition(":")[2]
            out += [(kind, f"{p}:{handle}") for p in sorted(sel.KNOWN_PLATFORMS)]
    return out


def _hex(query: str) -> str | None:
    text = query.strip().lower()
    return text if _HEX.fullmatch(text) else None


def _page(qs, limit: int = LIMIT) -> tuple[list, bool]:
    rows = list(qs[: limit + 1])
    return rows[:limit], len(rows) > limit


def find(user, query: str) -> Results:
    q = clean(query)
    results = Results(query=q)
    if not q:
        return results
    values = selector_values(q)
    results.searched_as = [(k, v) for k, v in values if k not in sel.HASHED_TYPES][:12]
    by_value = Q()
    for kind, value in values:
        by_value |= Q(type=kind, value=value)
    hexed = _hex(q)

    # Tips: a selector they hold, or their source's reference. The ids are read first, each
    # through its index (selector (type, value); (source, source_reference) per source): an OR
    # of the two in one WHERE makes PostgreSQL scan every tip (1.1 s at 1,000,000 tips).
    ids = set(
        Tip.objects.filter(
            source_reference=q, source_id__in=Source.objects.values("pk")
        ).values_list("pk", flat=True)[:LIMIT]
    )
    if values:
        ids.update(Selector.objects.filter(by_value).values_list("tip_id", flat=True)[:MAX_TIPS])
    tips = Tip.objects.for_user(user).filter(pk__in=ids).select_related("source", "assigned_to")
    rows, more = _page(tips.queue())
    results.sections.append(Found("tips", "Tips", rows, more))

    # Series by name (a part of it from three characters), media by a stored hash.
    series_cond = Q(name__iexact=q)
    if len(q) >= 3:
        series_cond |= Q(name__icontains=q)
    rows, more = _page(Series.objects.for_user(user).filter(series_cond).order_by("name", "id"))
    results.sections.append(Found("series", "Series", rows, more))
    media_rows: list = []
    media_more = False
    if hexed:
        cond = Q()
        for name in _HASH_FIELDS[len(hexed)]:
            cond |= Q(**{name: hexed})
        media = Media.objects.for_user(user).filter(cond).select_related("series")
        media_rows, media_more = _page(media.order_by("id"))
    results.sections.append(Found("media", "Media", media_rows, media_more))

    # Subpoenas: an identifier they name, or their reference.
    sub_cond = Q(pk__in=[])
    ref = _SUBPOENA_REF.fullmatch(q)
    if ref:
        sub_cond |= Q(pk=int(ref.group(2)), drafted_at__year=int(ref.group(1)))
    if values:
        ident = Q()
        for kind, value in values:
            ident |= Q(identifiers__type=kind, identifiers__value=value)
        sub_cond |= Q(pk__in=Subpoena.objects.filter(ident).values("pk"))
    subpoenas = Subpoena.objects.for_user(user).filter(sub_cond)
    rows, more = _page(subpoenas.select_related("provider", "tip__source"))
    results.sections.append(Found("subpoenas", "Subpoenas", rows, more))

    # Case numbers: the receiving office's, the requesting agency's.
    referrals = Referral.objects.for_user(user).filter(receiving_case_number__iexact=q)
    rows, more = _page(referrals.select_related("office", "tip__source"))
    results.sections.append(Found("referrals", "Referrals", rows, more))
    requests = MatchRequest.objects.for_user(user).filter(case_number__iexact=q)
    rows, more = _page(requests.order_by("-created_at", "-id"))
    results.sections.append(Found("match_requests", "Match requests", rows, more))
    return results
