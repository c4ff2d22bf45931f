"""Second-stage check of a candidate match on the pixels: is the query a rotated,
scaled or cropped copy of the stored image (or the reverse)?

Pure numpy (FFT cross-correlation), no OpenCV: OpenCV's wheel is ~60 MB of native
code with its own image decoders, and what is needed here, for a handful of
candidates per query that PDQ already put within a loose distance, is small.

Both pictures are made grey, small (:data:`SIZE` pixels on the longer side) and
band-passed (difference of two blurs: lighting, colour and JPEG noise drop out,
structure stays). The query is then searched for inside the stored picture as a
template, over a few scales (what share of the stored picture's width the query
covers) and small rotations, by normalised cross-correlation at every position;
and the stored picture inside the query the same way (a copy with content added
around it). The best correlation is the score: a copy scores 0.8-1.0; unrelated
pictures, near-duplicates of *other* pictures included, stay below 0.5 on the
bench's set (bench/bench_altered.py). :data:`THRESHOLD` is where a match is
confirmed.

Knows nothing of Django.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageFilter

__all__ = ["SIZE", "THRESHOLD", "Verdict", "prepare", "verify"]

SIZE = 128
THRESHOLD = 0.62
SCALES = tuple(round(1.0 - 0.05 * i, 2) for i in range(11))  # 1.0 .. 0.5
ANGLES = (0.0, -2.0, 2.0, -4.0, 4.0, -6.0, 6.0)

F32 = npt.NDArray[np.float32]


class Verdict(NamedTuple):
    ok: bool
    score: float
    scale: float
    angle: float
    direction: str  # "query_in_stored" | "stored_in_query"


class Prepared(NamedTuple):
    grey: Image.Image  # small grey picture (for rotating as a template)
    band: F32  # its band-passed pixels


def _band(img: Image.Image) -> F32:
    fine = np.asarray(img.filter(ImageFilter.GaussianBlur(0.8)), dtype=np.float32)
    coarse = np.asarray(img.filter(ImageFilter.GaussianBlur(5)), dtype=np.float32)
    return fine - coarse


def prepare(pixels: npt.NDArray[np.uint8] | Image.Image, size: int = SIZE) -> Prepared:
    """A picture (RGB array or PIL image) made ready for :func:`verify`."""
    img = pixels if isinstance(pixels, Image.Image) else Image.fromarray(np.asarray(pixels))
    img = img.convert("L")
    scale = size / max(img.size)
    if scale < 1:
        img = img.resize(
            (max(8, round(img.width * scale)), max(8, round(img.height * scale))),
            Image.Resampling.BOX,
        )
    return Prepared(img, _band(img))


class _Sums(NamedTuple):
    fft: npt.NDArray[np.complex128]
    s1: npt.NDArray[np.float64]  # integral image, padded
    s2: npt.NDArray[np.float64]  # integral image of the squares, padded


def _sums(image: F32) -> _Sums:
    im = image.astype(np.float64)
    return _Sums(
        np.fft.rfft2(image),
        np.pad(im.cumsum(0).cumsum(1), ((1, 0), (1, 0))),
        np.pad((im * im).cumsum(0).cumsum(1), ((1, 0), (1, 0))),
    )


def _ncc_max(image: F32, sums: _Sums, template: F32) -> float:
    """Largest normalised cross-correlation of ``template`` at any position fully
    inside ``image`` (0 when it does not fit or is flat)."""
    H, W = image.shape
    h, w = template.shape
    if h > H or w > W or h < 8 or w < 8:
        return 0.0
    t = template - template.mean()
    tn = float(np.sqrt((t * t).sum()))
    if tn < 1e-3:
        return 0.0
    ft = np.fft.rfft2(t, s=(H, W))
    num = np.fft.irfft2(sums.fft * np.conj(ft), s=(H, W))[: H - h + 1, : W - w + 1]
    n = h * w

    def window(s: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return s[h:, w:] - s[:-h, w:] - s[h:, :-w] + s[:-h, :-w]

    s1 = window(sums.s1)
    s2 = window(sums.s2)
    var = np.maximum(s2 - s1 * s1 / n, 1e-6)
    score = num / (np.sqrt(var) * tn)
    # Flat windows (a plain border) would divide by ~0: they cannot hold a match.
    score[var < 1e-2 * n] = 0.0
    return float(score.max())


def _template(p: Prepared, width: int, angle: float) -> F32 | None:
    """``p`` resized to ``width`` pixels wide, rotated by ``angle`` degrees, with the
    corners the rotation leaves empty cut off."""
    height = round(p.grey.height * width / p.grey.width)
    if width < 12 or height < 12:
        return None
    img = p.grey.resize((width, height), Image.Resampling.BILINEAR)
    if angle:
        img = img.rotate(angle, resample=Image.Resampling.BILINEAR, expand=False)
        a = math.radians(abs(angle))
        mx = math.ceil(height * math.sin(a)) + 1
        my = math.ceil(width * math.sin(a)) + 1
        if width - 2 * mx < 12 or height - 2 * my < 12:
            return None
        img = img.crop((mx, my, width - mx, height - my))
    return _band(img)


def _search(small: Prepared, big: Prepared) -> tuple[float, float, float]:
    """Best (score, scale, angle) of ``small`` found inside ``big``."""
    best = (0.0, 1.0, 0.0)
    sums = _sums(big.band)
    for scale in SCALES:
        width = round(big.grey.width * scale)
        for angle in ANGLES:
            t = _template(small, width, angle)
            if t is None:
                continue
            s = _ncc_max(big.band, sums, t)
            if s > best[0]:
                best = (s, scale, angle)
    return best


def verify(query: Prepared, stored: Prepared, threshold: float = THRESHOLD) -> Verdict:
    """Whether ``query`` is a copy of ``stored`` (cropped, scaled, turned a few
    degrees, or with content added around it)."""
    s1 = _search(query, stored)
    best, direction = s1, "query_in_stored"
    if best[0] < threshold:
        s2 = _search(stored, query)
        if s2[0] > best[0]:
            best, direction = s2, "stored_in_query"
    score, scale, angle = best
    return Verdict(score >= threshold, round(score, 3), scale, angle, direction)
