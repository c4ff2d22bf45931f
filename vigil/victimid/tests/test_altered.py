"""Copies PDQ alone misses: bordered, cropped, turned (issue 21), on generated pictures."""

from __future__ import annotations

import json

import pytest

from vigil.testing import pictures
from vigil.victimid import actions, matching
from vigil.victimid.hashing import hash_bytes_media
from vigil.victimid.models import MatchRequest, MediaVariant

pytestmark = pytest.mark.django_db


def _query(img, *, image=True):
    data = pictures.jpeg(img, 85)
    hashed = hash_bytes_media(data, "q.jpg", variants="query", dihedral=True)
    q = matching.query_from_hashed(hashed)
    if image:
        q.image = data
    return q


@pytest.fixture
def stored(series_factory):
    img = pictures.picture(11)
    series, (media,) = series_factory("Generated", files=[("g.jpg", pictures.jpeg(img, 92))])
    return img, series, media


def test_it_stores_the_sub_window_hashes_of_an_uploaded_image(stored):
    _img, _series, media = stored
    names = set(MediaVariant.objects.filter(media=media).values_list("name", flat=True))
    assert {"centre90", "centre80", "left80", "right80", "top80", "bottom80"} <= names


def test_it_finds_bordered_and_cropped_copies_through_the_extra_hashes(settings, stored):
    settings.PDQ_VERIFY_RADIUS = 0  # first stage only
    img, series, media = stored
    for kind, expect in (
        ("letterbox_white_10", {"query_variant": "trimmed"}),
        ("frame_grey_8", {"query_variant": "trimmed"}),
        ("border_crop_5", {"window": "centre90"}),
        ("side_crop_20", {"window": "left80"}),
    ):
        q = _query(pictures.ALTERATIONS[kind](img))
        assert matching.pdqlib.hamming(q.pdq, media.pdq) > 31, kind  # PDQ alone misses it
        (hit,) = matching.match(q)
        assert hit["media"] == media.pk and hit["distance"] <= 31, kind
        assert {k: hit[k] for k in expect} == expect, kind


def test_the_verifier_confirms_a_turned_or_oddly_cropped_copy(settings, stored):
    img, _series, media = stored
    for kind in ("straighten_3", "border_crop_7"):
        q = _query(pictures.ALTERATIONS[kind](img))
        settings.PDQ_VERIFY_RADIUS = 0
        assert matching.match(q) == [], kind
        settings.PDQ_VERIFY_RADIUS = 72
        (hit,) = matching.match(q)
        assert hit["media"] == media.pk and hit["distance"] > 31, kind
        assert hit["verified"] >= 0.62
        # A threshold tighter than the default is strict PDQ: no second stage.
        assert matching.match(q, threshold=20) == []
        # Without the query's pixels (a hash list) there is nothing to verify.
        q.image = None
        assert matching.match(q) == []


def test_it_matches_no_other_picture(settings, stored):
    settings.PDQ_VERIFY_RADIUS = 72
    for seed in (12, 13):
        other = pictures.near_duplicate(pictures.picture(seed), 2)
        for kind in ("resize_50", "border_crop_7", "letterbox_white_10", "straighten_3"):
            assert matching.match(_query(pictures.ALTERATIONS[kind](other))) == [], kind


def test_a_match_request_finds_a_letterboxed_copy_and_new_material_gets_windows(personas, stored):
    img, series, media = stored
    mr = actions.do_create_match_request(
        actor=personas.investigator,
        requesting_agency="Example PD",
        case_number="C-1",
        source="files",
        items=[
            actions.ItemSpec(
                name="boxed.jpg",
                data=pictures.jpeg(pictures.ALTERATIONS["letterbox_black_15"](img)),
            ),
            actions.ItemSpec(name="new.jpg", data=pictures.jpeg(pictures.picture(14))),
        ],
    )
    mr.refresh_from_db()
    assert mr.status == MatchRequest.Status.DONE
    boxed, new = mr.items.order_by("position")
    assert [m["media"] for m in boxed.matches] == [media.pk]
    assert new.matches == [] and not MediaVariant.objects.filter(media=new.media).exists()
    actions.do_series_from_new_material(mr, actor=personas.investigator, positions=[2])
    assert MediaVariant.objects.filter(media=new.media).count() >= 6
    # ... and the index picks the moved media up: a crop of it now matches.
    crop = pictures.ALTERATIONS["side_crop_20"](pictures.picture(14))
    assert [h["media"] for h in matching.match(_query(crop))] == [new.media_id]


def test_backfill_gives_older_media_their_extra_hashes_once(capsys, stored):
    from django.core.management import call_command

    from vigil.audit.models import AuditEvent
    from vigil.lib import pdq_variants
    from vigil.victimid.models import Media

    img, _series, media = stored
    assert media.variants_version == pdq_variants.VERSION
    # As stored before the extra hashes existed.
    MediaVariant.objects.filter(media=media).delete()
    Media.objects.filter(pk=media.pk).update(variants_version=0)
    matching.reset_index()
    crop = _query(pictures.ALTERATIONS["side_crop_20"](img), image=False)
    assert matching.match(crop) == []
    call_command("backfill_variants", "--json")
    out = json.loads(capsys.readouterr().out)
    assert out["media"] == 1 and out["hashes"] >= 10 and out["unreadable"] == []
    assert out["version"] == pdq_variants.VERSION
    media.refresh_from_db()
    assert media.variants_version == pdq_variants.VERSION
    assert MediaVariant.objects.filter(media=media).count() == out["hashes"]
    (row,) = AuditEvent.objects.filter(action="media.variants")
    assert row.changes["media"]["after"] == 1
    # The running index picks the new hashes up (updated_at moved).
    assert [h["media"] for h in matching.match(crop)] == [media.pk]
    # Idempotent: nothing left to do, no second audit row.
    call_command("backfill_variants")
    assert "0 image(s)" in capsys.readouterr().out
    assert AuditEvent.objects.filter(action="media.variants").count() == 1


def test_backfill_reports_an_unreadable_file_and_goes_on(capsys, stored, series_factory):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from vigil.victimid.models import Media

    _img, series, media = stored
    _s2, (other,) = series_factory("Other", files=[("o.jpg", pictures.jpeg(pictures.picture(3)))])
    Media.objects.filter(pk__in=[media.pk, other.pk]).update(variants_version=0)
    Media.objects.filter(pk=media.pk).update(stored_path="media/missing.bin")
    with pytest.raises(CommandError) as exc:
        call_command("backfill_variants")
    assert exc.value.returncode == 1
    captured = capsys.readouterr()
    assert f"M-{media.pk}" in captured.err and "1 image(s)" in captured.out
    other.refresh_from_db()
    assert other.variants_version > 0
