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


def video_still(data: bytes, *, at: float = 1.0, max_frames: int = 120) -> Image.Image | None:
    """The first video frame at or after `at` seconds (or the last decoded one, for a
    shorter video) as an RGB image; None when nothing decodes. PyAV (FFmpeg's
    libraries, in process, from memory: the file is never written out); at most
    `max_frames` frames are decoded and frames over pdq.MAX_PIXELS are refused."""
    import av  # loads FFmpeg's libraries: only when a video thumbnail is asked for

    still = None
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            stream = next(iter(container.streams.video), None)
            if stream is None:
                return None
            for n, frame in enumerate(container.decode(stream)):
                if frame.width * frame.height > pdqlib.MAX_PIXELS:
                    return None
                still = frame
                if (frame.time or 0.0) >= at or n + 1 >= max_frames:
                    break
            return still.to_image() if still is not None else None
    except Exception:  # noqa: BLE001 - any decoding failure: no still, a placeholder
        return None


def render(
    data: bytes | None, *, kind: str, revealed: bool = False, relaxed: bool = False
) -> bytes:
    """A SIZE-pixel grey PNG; blurred unless `revealed`."""
    if data is None:
        return placeholder("hashes only")
    if kind == "video":
        still = video_still(data)
        if still is None:
            return placeholder("video")
        still.thumbnail((SIZE, SIZE))
        grey = still.convert("L")
    else:
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
