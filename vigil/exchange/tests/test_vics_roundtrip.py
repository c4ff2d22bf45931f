"""Any VICS Media entry Vigil accepts comes back alike through its own export (hypothesis).

A partner's record goes in (`from_vics`), out to the next partner (`to_vics`, as JSON)
and in again there: what the second repository holds must be what the first held,
whatever the spelling of the first file (hash case and spaces, numbers as text, flags
as 0/1 or "true", OData noise, PDQ and SHA-256 among the alternative hashes).
"""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from vigil.exchange import mapping


def _hex(n: int) -> st.SearchStrategy[str]:
    text = st.text(alphabet="0123456789abcdefABCDEF", min_size=n, max_size=n)
    return st.tuples(st.sampled_from(["", " "]), text, st.sampled_from(["", " "])).map("".join)


flags = st.sampled_from([None, "", True, False, 0, 1, "true", "False", " 1 ", "0"])
texts = st.one_of(st.none(), st.text(max_size=30))
numbers = st.one_of(st.none(), st.integers(0, 10**12), st.integers(0, 10**6).map(str))
alternative = st.one_of(
    st.fixed_dictionaries({"HashName": st.sampled_from(["PDQ", " pdq "]), "HashValue": _hex(64)}),
    st.fixed_dictionaries(
        {"HashName": st.sampled_from(["SHA256", "sha256"]), "HashValue": _hex(64)}
    ),
    st.fixed_dictionaries(
        {
            "HashName": st.sampled_from(["MD5-Tail", "ED2K"]),
            "HashValue": st.one_of(st.text(max_size=20), st.integers(0, 99)),
        }
    ),
)
media = st.fixed_dictionaries(
    {"MD5": _hex(32)},
    optional={
        "SHA1": st.one_of(st.just(""), _hex(40)),
        "MediaSize": numbers,
        "MediaID": st.one_of(st.integers(0, 10**6), st.text(max_size=8)),
        "Category": st.one_of(st.none(), st.integers(0, 255), st.integers(0, 255).map(str)),
        "IsPrecategorized": flags,
        "VictimIdentified": flags,
        "OffenderIdentified": flags,
        "IsDistributed": flags,
        "Series": texts,
        "Tags": texts,
        "Comments": texts,
        "PhotoDNA": texts,
        "DateUpdated": st.one_of(st.none(), st.text(max_size=50)),
        "Exifs": st.lists(st.fixed_dictionaries({"Name": st.text(max_size=8)}), max_size=2),
        "MediaFiles": st.lists(
            st.fixed_dictionaries({"FileName": st.text(max_size=12)}), max_size=2
        ),
        "AlternativeHashes": st.lists(alternative, max_size=4),
        "Media@odata.navigationLinkUrl": st.just("Media(1)/MediaFiles"),
    },
)


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    return isinstance(value, list) and any(map(_has_nul, value))


def _held(rec: dict) -> dict:
    # The MediaID is the sender's own number for the entry (a new one on each export).
    return {k: v for k, v in rec.items() if k != "media_id"}


@settings(max_examples=300)
@given(media)
def test_an_accepted_entry_comes_back_alike_through_an_export(entry):
    if _has_nul(entry):  # no database column can hold it: refused, with the field named
        with pytest.raises(mapping.RecordError, match="holds a NUL character"):
            mapping.from_vics(entry)
        return
    first = mapping.from_vics(entry)
    sent = json.loads(json.dumps(mapping.to_vics(first)))  # the file the next partner reads
    again = mapping.from_vics(sent)
    assert _held(again) == _held(first)
    assert mapping.digest(_held(again)) == mapping.digest(_held(first))  # nothing to change


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(media, min_size=1, max_size=6, unique_by=lambda m: m["MD5"].strip().lower()))
def test_a_partners_file_reaches_the_next_partner_alike(partner, sharer, tmp_path, entries):
    # The whole way: imported from one partner, exported by a user who may share, imported
    # by a fresh repository from another: the same media, hashes, series and files.
    from django.core.management import call_command
    from django.db import transaction

    from vigil.exchange import actions
    from vigil.exchange.models import Conflict, Provenance, Record
    from vigil.victimid.models import Media, Series

    from .conftest import make_partner
    from .test_vics import _canonical_set, _doc

    with transaction.atomic():
        summary = actions.do_import_vics(
            io.BytesIO(_doc(entries)), actor=None, partner=partner, filename="in.json"
        )
        refused = [i for i, m in enumerate(entries) if _has_nul(m)]
        assert [r["index"] for r in summary["rejected"]] == refused, summary
        assume(len(refused) < len(entries))
        held = _canonical_set()
        out = tmp_path / "out.json"
        call_command("export_vics", "--user", sharer, "--out", str(out), "--version", "2.0")
        for model in (Conflict, Provenance, Record, Media, Series):
            model.objects.all().delete()
        with open(out, "rb") as fh:
            again = actions.do_import_vics(
                fh, actor=None, partner=make_partner("INTERPOL"), filename=out.name
            )
        assert again["rejected"] == [] and again["created"] == len(held), again
        assert _canonical_set() == held
        transaction.set_rollback(True)
