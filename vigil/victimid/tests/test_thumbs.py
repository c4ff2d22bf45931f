"""Wellness: grey, blurred thumbnails; one reveal shows one image once, audited."""

from __future__ import annotations

import io

import numpy as np
from django.urls import reverse
from PIL import Image

from vigil.audit.models import AuditEvent

from .conftest import BRIDGE


def _img(response) -> np.ndarray:
    img = Image.open(io.BytesIO(response.content))
    assert img.mode == "L"  # grey, always
    assert max(img.size) <= 160
    return np.asarray(img, dtype=float)


def _sharpness(a: np.ndarray) -> float:
    return float(np.abs(np.diff(a, axis=1)).mean() + np.abs(np.diff(a, axis=0)).mean())


def test_it_blurs_by_default_and_reveals_once(client, personas, series_factory):
    _, (m,) = series_factory("Bridge", files=[BRIDGE])
    client.force_login(personas.reader)
    url = reverse("victimid-media-thumb", args=[m.pk])
    blurred = client.get(url)
    assert blurred["Cache-Control"].startswith("no-store")
    assert blurred["Content-Type"] == "image/png"
    b = _img(blurred)

    reveal = client.post(reverse("victimid-media-reveal", args=[m.pk]), HTTP_HX_REQUEST="true")
    assert reveal.status_code == 200
    assert AuditEvent.objects.filter(
        action="media.reveal", actor=personas.reader, object_id=str(m.pk)
    ).exists()
    src = reveal.context["src"]
    assert src.startswith(url + "?r=")
    sharp = _img(client.get(src))
    assert _sharpness(sharp) > 2 * _sharpness(b)
    # The reveal is used up: the same link now gives the blurred picture again.
    again = _img(client.get(src))
    assert np.array_equal(again, b)


def test_it_relaxes_the_blur_but_keeps_it_grey(client, personas, series_factory):
    _, (m,) = series_factory("Bridge", files=[BRIDGE])
    url = reverse("victimid-media-thumb", args=[m.pk])
    client.force_login(personas.investigator)
    strong = _sharpness(_img(client.get(url)))
    type(personas.investigator).objects.filter(pk=personas.investigator.pk).update(
        relax_thumbnail_blur=True
    )
    relaxed = _sharpness(_img(client.get(url)))
    assert relaxed > strong


def test_it_never_serves_a_token_for_another_image(client, personas, series_factory, conformance):
    _, (a, b) = series_factory(
        "Two", files=[BRIDGE, conformance / "reg-test-input/pen-and-coaster.png"]
    )
    client.force_login(personas.reader)
    src = client.post(
        reverse("victimid-media-reveal", args=[a.pk]), HTTP_HX_REQUEST="true"
    ).context["src"]
    token = src.split("?r=")[1]
    other = reverse("victimid-media-thumb", args=[b.pk]) + f"?r={token}"
    blurred = reverse("victimid-media-thumb", args=[b.pk])
    assert client.get(other).content == client.get(blurred).content


def test_it_makes_a_grey_blurred_thumbnail_of_a_video_frame(conformance):
    import io

    from PIL import Image

    from vigil.victimid import thumbs

    data = (conformance / "vpdq/doorknob-hd-no-bar.mp4").read_bytes()
    png = thumbs.render(data, kind="video")
    assert png != thumbs.placeholder("video")
    img = Image.open(io.BytesIO(png))
    assert img.mode == "L" and max(img.size) == thumbs.SIZE
    assert thumbs.render(data, kind="video", revealed=True) != png
    # Not a video: the placeholder, never an error.
    assert thumbs.render(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100, kind="video") == (
        thumbs.placeholder("video")
    )
