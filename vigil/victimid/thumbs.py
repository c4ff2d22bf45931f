"""Thumbnails for investigator wellness: small, grey, blurred on the server.

Generated on the fly from the decrypted file, never written to disk, served
only through an access-checked view with Cache-Control: no-store. Grey always;
blurred unless the one-time reveal was used; a user's `relax_thumbnail_blur`
preference lightens the blur, it never removes it nor the grey.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageDraw, ImageFilter

from vigil.lib import pdq as pdqlib

SIZE = 160
BLUR = 8
RELAXED_BLUR = 3
Image.init()
_FORMATS = tuple(f for f in pdqlib.ALLOWED_FORMATS if f in Image.OPEN)


def placeholder(label: str) -> bytes:
    img = Image.new("L", (SIZE, SIZE), 128)
    draw = ImageDraw.Draw(img)
    draw.rectangle([4, 4, SIZE - 5, SIZE - 5], outline=90, width=2)
    draw.text((SIZE // 2, SIZE // 2), label, fill=30, anchor="mm")
    return _png(img)


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=False)
    return buf.getvalue()


def render(
    data: bytes | None, *, kind: str, revealed: bool = False, relaxed: bool = False
) -> bytes:
    """A SIZE-pixel grey PNG; blurred unless `revealed`."""
    if data is None:
        return placeholder("hashes only")
    if kind == "video":
        return placeholder("video")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=_FORMATS) as img:
                if img.width * img.height > pdqlib.MAX_PIXELS:
                    return placeholder("too large")
                img.draft("RGB", (SIZE * 2, SIZE * 2))  # JPEG: decode at reduced scale
                img.thumbnail((SIZE, SIZE))
                grey = img.convert("L")
    except Exception:  # noqa: BLE001 - any decoding failure gives a placeholder
        return placeholder("cannot decode")
    if not revealed:
        grey = grey.filter(ImageFilter.GaussianBlur(RELAXED_BLUR if relaxed else BLUR))
    return _png(grey)
