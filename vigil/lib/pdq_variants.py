"""Extra PDQ hashes of one image, for the copies PDQ alone misses (issue 21).

PDQ is a whole-picture hash: a border added or a few percent cropped moves it
far (a 2% crop on each side is 30-50 bits away, a 10% letterbox 60-110). Two
remedies, both pure numpy on top of :mod:`vigil.lib.pdq`:

* :func:`trim` removes uniform borders (letterbox, pillarbox, frames of any
  plain colour): a bordered copy and its original then hash alike. Both the
  stored image and the query get a ``trimmed`` hash when they have a border.
* :data:`WINDOWS`: a stored image is also hashed on a few sub-windows (centre
  90% and 80%, each side's 80% and 90%, the centre square, each corner's 60%),
  so a query cropped close to one of those is within the threshold of that
  window's hash. PDQ tolerates
  about 1% of mismatch between the crop and the window; crops in between are
  left to the local verifier (:mod:`vigil.lib.verify`).
* :func:`unrotate`: a query turned inside a plain background (black corners) is
  turned back by the angle its edges show; its centre 90% then hashes like the
  stored ``centre90`` window.

Knows nothing of Django.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pdqhash
from PIL import Image

from vigil.lib.pdq import bits_to_hex, is_matchable

__all__ = [
    "VERSION",
    "WINDOWS",
    "Variant",
    "query_variants",
    "reference_variants",
    "trim",
    "uncorner",
    "unrotate",
]

#: name -> (left, top, right, bottom) as fractions; "square" is the centre square.
WINDOWS: dict[str, tuple[float, float, float, float] | None] = {
    "centre90": (0.05, 0.05, 0.95, 0.95),
    "centre80": (0.10, 0.10, 0.90, 0.90),
    "left80": (0.0, 0.0, 0.80, 1.0),
    "right80": (0.20, 0.0, 1.0, 1.0),
    "top80": (0.0, 0.0, 1.0, 0.80),
    "bottom80": (0.0, 0.20, 1.0, 1.0),
    "square": None,
    # Side crops of 5-15% (between the whole picture and the 80% windows): PDQ puts
    # them 25-50 bits from these, within the verifier's radius.
    "left90": (0.0, 0.0, 0.90, 1.0),
    "right90": (0.10, 0.0, 1.0, 1.0),
    "top90": (0.0, 0.0, 1.0, 0.90),
    "bottom90": (0.0, 0.10, 1.0, 1.0),
    # A corner cut out (a face or a detail, 60% of each side, ~36% of the area).
    "topleft60": (0.0, 0.0, 0.60, 0.60),
    "topright60": (0.40, 0.0, 1.0, 0.60),
    "bottomleft60": (0.0, 0.40, 0.60, 1.0),
    "bottomright60": (0.40, 0.40, 1.0, 1.0),
}
#: The window set's version: media whose stored extra hashes are older get them again
#: (``vigil backfill_variants``).  1: the first seven windows; 2: + side 90%, corners.
VERSION = 2
#: Stable small codes for the index (media id * 32 + code); 0 is the whole image.
CODES: dict[str, int] = {"whole": 0, "trimmed": 1, **{n: 2 + i for i, n in enumerate(WINDOWS)}}
NAMES: dict[int, str] = {v: k for k, v in CODES.items()}

# A border row/column: at most this share of its pixels further than _TOLERANCE
# (any channel) from the border's colour.  JPEG ringing next to the picture is
# what the tolerance is for.
_OUTLIERS = 0.02
_TOLERANCE = 24
# Less than this is no border (a 1-pixel line, or JPEG edge noise).
_MIN_TRIM = 0.01
# Never trim more than this share of a side (a plain picture is not all border).
_MAX_TRIM = 0.40

Pixels = npt.NDArray[np.uint8]


class Variant(NamedTuple):
    name: str
    hash_hex: str
    quality: int


def _edge_run(lines: Pixels, limit: int) -> int:
    """How many of ``lines`` (n, length, 3), outermost first, are plain border.

    Line by line, so a picture without a border costs one line, not the image."""
    colour = np.median(lines[0], axis=0)
    n = 0
    for line in lines[:limit]:
        far = (np.abs(line.astype(np.int16) - colour).max(axis=1) > _TOLERANCE).mean()
        if far > _OUTLIERS:
            break
        n += 1
    return n


def trim(pixels: Pixels) -> Pixels | None:
    """``pixels`` without their uniform borders, or None when there is none to trim."""
    h, w = pixels.shape[:2]
    if h < 16 or w < 16:
        return None
    lim_h, lim_w = int(h * _MAX_TRIM), int(w * _MAX_TRIM)
    top = _edge_run(pixels, lim_h)
    bottom = _edge_run(pixels[::-1], lim_h)
    left = _edge_run(pixels.transpose(1, 0, 2), lim_w)
    right = _edge_run(pixels.transpose(1, 0, 2)[::-1], lim_w)
    cut_h = [v if v >= max(2, _MIN_TRIM * h) else 0 for v in (top, bottom)]
    cut_w = [v if v >= max(2, _MIN_TRIM * w) else 0 for v in (left, right)]
    if not any(cut_h) and not any(cut_w):
        return None
    # JPEG blurs the border into the picture: one more line off each trimmed side.
    t, b = (c + 1 if c else 0 for c in cut_h)
    left_, r = (c + 1 if c else 0 for c in cut_w)
    out = pixels[t : h - b, left_ : w - r]
    if out.shape[0] < 16 or out.shape[1] < 16:
        return None
    return np.ascontiguousarray(out)


def _runs(bg: npt.NDArray[np.bool_]) -> npt.NDArray[np.intp]:
    """Per row of ``bg``, how many pixels from its start are background."""
    first = np.argmax(~bg, axis=1)
    first[bg.all(axis=1)] = bg.shape[1]
    return first


class _Corners(NamedTuple):
    """Background runs of a picture inside a plain background, per row and column."""

    left: npt.NDArray[np.intp]
    right: npt.NDArray[np.intp]
    top: npt.NDArray[np.intp]
    bottom: npt.NDArray[np.intp]


def _corners(pixels: Pixels) -> _Corners | None:
    """The background runs when all four corners are plain triangles of one colour."""
    h, w = pixels.shape[:2]
    if h < 32 or w < 32:
        return None
    # The four corner pixels first: most pictures stop here, before a whole-image copy.
    colour = pixels[0, 0].astype(np.int16)
    corners = [pixels[0, -1], pixels[-1, 0], pixels[-1, -1]]
    if max(int(np.abs(c.astype(np.int16) - colour).max()) for c in corners) > _TOLERANCE:
        return None
    bg = np.abs(pixels.astype(np.int16) - colour).max(axis=2) <= _TOLERANCE
    c = _Corners(_runs(bg), _runs(bg[:, ::-1]), _runs(bg.T), _runs(bg.T[:, ::-1]))
    # Each corner is a background triangle, not a plain pixel or two.
    if min(c.left[0], c.left[-1], c.right[0], c.right[-1]) < 0.01 * w:
        return None
    if min(c.top[0], c.top[-1], c.bottom[0], c.bottom[-1]) < 0.01 * h:
        return None
    return c


def uncorner(pixels: Pixels) -> Pixels | None:
    """A picture turned a few degrees inside a plain background (its four corners are
    plain triangles) cropped to the largest centred rectangle clear of them (what a
    "straighten" tool keeps); None when the corners are not plain."""
    c = _corners(pixels)
    if c is None:
        return None
    h, w = pixels.shape[:2]
    # A rotation by a leaves margins of about h*sin(a) left and right, w*sin(a) top
    # and bottom: try growing angles until the rectangle is clear.
    for k in range(2, 80):
        s = k / 400  # sin(a), up to ~11 degrees
        mx, my = int(h * s) + 2, int(w * s) + 2
        if 2 * mx >= w - 16 or 2 * my >= h - 16:
            return None
        rows, cols = slice(my, h - my), slice(mx, w - mx)
        if (
            c.left[rows].max() <= mx
            and c.right[rows].max() <= mx
            and c.top[cols].max() <= my
            and c.bottom[cols].max() <= my
        ):
            return np.ascontiguousarray(pixels[rows, cols])
    return None


#: Turns :func:`unrotate` undoes (degrees); below the least PDQ copes by itself.
_MIN_ANGLE, _MAX_ANGLE = 0.7, 15.0


def unrotate(pixels: Pixels) -> Pixels | None:
    """A picture turned inside a plain background (a photo scanned askew, a copy
    rotated with its corners filled), turned back: the angle is read from where the
    picture's corners touch the edges, and the centre 90% of the picture is kept (the
    stored ``centre90`` window, clear of the filled edges). None when the corners are
    not plain or the angle is not between 0.7 and 15 degrees."""
    c = _corners(pixels)
    if c is None:
        return None
    h, w = pixels.shape[:2]
    # Turned by a (counter-clockwise: a > 0), the picture's left side is a straight
    # line across the middle rows, x = x0 + y*tan(a), its right side x = x1 - y*tan(a)
    # from the right: fitted on the rows 30-70% down.
    ys = np.arange(int(0.3 * h), int(0.7 * h))
    keep = c.left[ys] + c.right[ys] < w - 16
    if keep.sum() < 8:
        return None
    ys = ys[keep]
    slope_left = np.polyfit(ys, c.left[ys].astype(np.float64), 1)[0]
    slope_right = np.polyfit(ys, c.right[ys].astype(np.float64), 1)[0]
    rad = math.atan((slope_left - slope_right) / 2)
    if not _MIN_ANGLE <= abs(math.degrees(rad)) <= _MAX_ANGLE:
        return None
    # The turned w' x h' picture's bounding box is the whole image: solve for w', h'.
    cos, sin, cos2 = math.cos(abs(rad)), math.sin(abs(rad)), math.cos(2 * rad)
    pw, ph = (w * cos - h * sin) / cos2, (h * cos - w * sin) / cos2
    back = Image.fromarray(np.ascontiguousarray(pixels)).rotate(
        -math.degrees(rad), resample=Image.Resampling.BICUBIC, expand=True
    )
    cx, cy = back.width / 2, back.height / 2
    half_w, half_h = 0.45 * pw, 0.45 * ph
    if half_w < 16 or half_h < 16:
        return None
    box = (round(cx - half_w), round(cy - half_h), round(cx + half_w), round(cy + half_h))
    return np.asarray(back.crop(box))


def _window(pixels: Pixels, box: tuple[float, float, float, float] | None) -> Pixels:
    h, w = pixels.shape[:2]
    if box is None:
        s = min(h, w)
        y, x = (h - s) // 2, (w - s) // 2
        return pixels[y : y + s, x : x + s]
    left, top, right, bottom = box
    return pixels[round(top * h) : round(bottom * h), round(left * w) : round(right * w)]


def _hash(pixels: Pixels) -> tuple[str, int]:
    bits, quality = pdqhash.compute(np.ascontiguousarray(pixels))
    return bits_to_hex(bits), int(quality)


def query_variants(pixels: Pixels) -> list[Variant]:
    """What a query adds to its whole-image hash: the trimmed hash, if it has a border;
    the "inner" and "unrotated" hashes, if it is a picture turned inside a plain
    background (cropped inside the corners; turned back, its centre 90%)."""
    out = []
    for name, fn in (("trimmed", trim), ("inner", uncorner), ("unrotated", unrotate)):
        inner = fn(pixels)
        if inner is not None:
            h, q = _hash(inner)
            if is_matchable(q):
                out.append(Variant(name, h, q))
    return out


def reference_variants(pixels: Pixels, whole: str = "") -> list[Variant]:
    """The extra hashes of a stored image: trimmed (if bordered), then each window of
    the trimmed picture. Low-quality ones and repeats (of ``whole`` too) are left out."""
    out: list[Variant] = []
    seen = {whole}
    inner = trim(pixels)
    base = pixels
    if inner is not None:
        base = inner
        h, q = _hash(inner)
        if is_matchable(q) and h not in seen:
            out.append(Variant("trimmed", h, q))
            seen.add(h)
    hh, ww = base.shape[:2]
    if hh < 32 or ww < 32:
        return out
    for name, box in WINDOWS.items():
        if name == "square" and max(hh, ww) < 1.15 * min(hh, ww):
            continue  # nearly square already: the centre square is the whole picture
        h, q = _hash(_window(base, box))
        if is_matchable(q) and h not in seen:
            out.append(Variant(name, h, q))
            seen.add(h)
    return out
