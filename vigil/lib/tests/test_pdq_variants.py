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
    # No border: no "trimmed"; a low-quality window (a smooth corner) is left out.
    assert (
        {"centre90", "centre80", "left80", "right80", "top80", "bottom80", "square"}
        <= set(variants)
        <= set(pdq_variants.WINDOWS)
    )
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
    assert len(set(pdq_variants.CODES.values())) == len(pdq_variants.CODES) <= 32


def test_it_crops_a_turned_picture_inside_its_corners():
    turned = _px(pictures.ALTERATIONS["rotate_3"](pictures.picture(4)))
    inner = pdq_variants.uncorner(turned)
    assert inner is not None
    assert (np.abs(inner[:3, :3].astype(int)).max()) > 0  # no black corner left
    assert [v.name for v in pdq_variants.query_variants(turned)] == ["inner", "unrotated"]


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


def test_it_turns_a_rotated_picture_back_to_its_centre_window():
    img = pictures.picture(8)
    centre = pdq_variants.reference_variants(np.asarray(img))
    centre90 = next(v.hash_hex for v in centre if v.name == "centre90")
    for degrees in (3, -5, 1, 12):
        turned = _px(
            pictures.ALTERATIONS["rotate_3"](img)
            if degrees == 3
            else pictures._rotate(img, degrees)
        )
        back = pdq_variants.unrotate(turned)
        assert back is not None, degrees
        assert pdq.hamming(_hash(back), centre90) <= 16, degrees
        assert "unrotated" in [v.name for v in pdq_variants.query_variants(turned)]
    # Not turned, or turned less than PDQ copes with by itself: nothing to undo.
    assert pdq_variants.unrotate(_px(img)) is None
    assert pdq_variants.unrotate(_px(pictures.ALTERATIONS["letterbox_black_15"](img))) is None


def test_the_side_and_corner_windows_catch_those_crops():
    img = pictures.picture(2)
    variants = {v.name: v.hash_hex for v in pdq_variants.reference_variants(np.asarray(img))}
    corner = _hash(_px(pictures.ALTERATIONS["crop_40_corner"](img)))
    assert pdq.hamming(corner, variants["topleft60"]) <= 31
    side = _hash(_px(pictures.ALTERATIONS["side_crop_13"](img)))
    # Within the verifier's radius (72), not PDQ's threshold: the verifier confirms it.
    assert pdq.hamming(side, variants["right90"]) <= 72
