"""Extra PDQ hashes (trimmed borders, sub-windows, a turned picture's inner part) and
the local verifier, on generated benign pictures."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from vigil.lib import pdq, pdq_variants, verify
from vigil.testing import pictures


def _px(img: Image.Image) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(pictures.jpeg(img, 90))).convert("RGB"))


def _hash(px: np.ndarray) -> str:
    return pdq_variants._hash(px)[0]


def test_it_trims_a_letterbox_a_pillarbox_and_a_frame_to_the_original():
    img = pictures.picture(1)
    whole = _hash(np.asarray(img))
    for kind in ("letterbox_white_10", "letterbox_black_15", "frame_grey_8"):
        bordered = _px(pictures.ALTERATIONS[kind](img))
        assert pdq.hamming(whole, _hash(bordered)) > 31, kind
        inner = pdq_variants.trim(bordered)
        assert inner is not None, kind
        assert pdq.hamming(whole, _hash(inner)) <= 31, kind


def test_it_trims_nothing_from_a_picture_without_a_border():
    assert pdq_variants.trim(_px(pictures.picture(2))) is None
    assert pdq_variants.uncorner(_px(pictures.picture(2))) is None
    assert pdq_variants.query_variants(_px(pictures.picture(2))) == []


def test_it_hashes_sub_windows_a_crop_is_within_the_threshold_of():
    img = pictures.picture(3)
    variants = {v.name: v for v in pdq_variants.reference_variants(np.asarray(img))}
    assert set(variants) == set(pdq_variants.WINDOWS)  # no border: no "trimmed"
    for kind, window in (
        ("border_crop_5", "centre90"),
        ("border_crop_10", "centre80"),
        ("side_crop_20", "left80"),
        ("top_crop_20", "bottom80"),
        ("profile_square", "square"),
    ):
        q = _hash(_px(pictures.ALTERATIONS[kind](img)))
        assert pdq.hamming(q, variants[window].hash_hex) <= 31, kind
    # Codes for the index are stable and distinct.
    assert len(set(pdq_variants.CODES.values())) == len(pdq_variants.CODES) <= 16


def test_it_crops_a_turned_picture_inside_its_corners():
    turned = _px(pictures.ALTERATIONS["rotate_3"](pictures.picture(4)))
    inner = pdq_variants.uncorner(turned)
    assert inner is not None
    assert (np.abs(inner[:3, :3].astype(int)).max()) > 0  # no black corner left
    assert [v.name for v in pdq_variants.query_variants(turned)] == ["inner"]


def test_the_verifier_confirms_copies_and_refuses_other_pictures():
    stored = pictures.picture(5)
    mine = verify.prepare(np.asarray(stored))
    for kind in ("border_crop_7", "straighten_3", "side_crop_13", "caption_bar"):
        v = verify.verify(verify.prepare(_px(pictures.ALTERATIONS[kind](stored))), mine)
        assert v.ok, (kind, v)
    for seed in (6, 7):
        other = pictures.near_duplicate(pictures.picture(seed), 1)
        v = verify.verify(verify.prepare(_px(other)), mine)
        assert not v.ok and v.score < verify.THRESHOLD, v
