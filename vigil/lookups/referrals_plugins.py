"""Jurisdiction evidence for the referrals app: the country of each IP's owner (offline ranges).

Found by the referrals app's autodiscovery (`referrals_plugins` modules); the
look-ups app itself imports nothing of referrals.
"""

from __future__ import annotations

from vigil.referrals import jurisdiction
from vigil.referrals.places import normalise_place
from vigil.tips.models import Selector


def ip_owner_countries(tips: list):
    # Deferred: registered at start-up; the numpy range index loads when a packet asks.
    from vigil.lookups import ranges

    rows = list(
        Selector.objects.filter(tip__in=[t.pk for t in tips], type=Selector.Type.IP).values_list(
            "pk", "tip_id", "value"
        )
    )
    if not rows:
        return
    try:
        results = ranges.lookup_many([value for _, _, value in rows])
    except ranges.BadIP:
        return
    for (pk, tip_id, value), hit in zip(rows, results, strict=True):
        country = (hit.get("country") or "").upper()
        if len(country) != 2 or country in {"ZZ", "EU", "AP"}:
            continue
        owner = " · ".join(
            str(x) for x in (hit.get("owner"), f"AS{hit['asn']}" if hit.get("asn") else "") if x
        )
        yield jurisdiction.Evidence(
            kind="ip_owner_country",
            label="IP owner's country (offline range database)",
            value=value,
            place=normalise_place(country),
            tip_id=tip_id,
            source=f"selector {pk}, {hit.get('source')} as of {hit.get('as_of')}",
            detail=owner,
        )


jurisdiction.register_provider("ip_owner_country", ip_owner_countries)
