"""Benign generated pictures with photo-like texture, and the alterations a copy in a
seized collection typically went through (tests and bench/bench_altered.py).

Nothing here depicts anyone: coloured shapes over smooth 1/f noise, seeded so every
run makes the same pictures. PDQ quality of these is 100, like a photo's; they keep
their hash under downscaling (unlike flat test patterns).
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps


def picture(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """An RGB picture: 1/f colour noise (a "landscape") with random shapes on it."""
    rng = np.random.default_rng(seed)
    w, h = size[0] * 2, size[1] * 2  # made twice as big, then cut: FFT noise wraps around
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    f = np.sqrt(fx * fx + fy * fy)
    f[0, 0] = 1.0
    planes = []
    for _ in range(3):
        spectrum = (rng.normal(size=f.shape) + 1j * rng.normal(size=f.shape)) / f**1.6
        plane = np.fft.irfft2(spectrum, s=(h, w))
        plane = (plane - plane.min()) / (np.ptp(plane) or 1.0)
        planes.append(plane)
    rgb = (np.stack(planes, axis=-1) * 200 + 25).astype(np.uint8)
    w, h = size
    img = Image.fromarray(rgb[h // 2 : h // 2 + h, w // 2 : w // 2 + w], "RGB")
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(6, 14))):
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        x1 = x0 + int(rng.integers(w // 12, w // 3))
        y1 = y0 + int(rng.integers(h // 12, h // 3))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.ellipse([x0, y0, x1, y1], fill=colour)
        else:
            draw.rectangle([x0, y0, x1, y1], fill=colour)
    return img.filter(ImageFilter.GaussianBlur(1.2))


def near_duplicate(img: Image.Image, seed: int) -> Image.Image:
    """Another shot "of the same scene": same base, shapes moved. For distractors."""
    rng = np.random.default_rng(seed)
    out = img.copy()
    draw = ImageDraw.Draw(out)
    w, h = out.size
    for _ in range(4):
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        draw.ellipse([x0, y0, x0 + w // 5, y0 + h // 5], fill=colour)
    return out


def jpeg(img: Image.Image, quality: int = 85) -> bytes:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def _crop(img: Image.Image, left: float, top: float, right: float, bottom: float) -> Image.Image:
    w, h = img.size
    return img.crop((round(left * w), round(top * h), round(right * w), round(bottom * h)))


def _letterbox(img: Image.Image, frac: float, colour: tuple[int, int, int]) -> Image.Image:
    w, h = img.size
    pad = round(frac * h)
    out = Image.new("RGB", (w, h + 2 * pad), colour)
    out.paste(img, (0, pad))
    return out


def _frame(img: Image.Image, frac: float, colour: tuple[int, int, int]) -> Image.Image:
    pad = round(frac * min(img.size))
    return ImageOps.expand(img, border=pad, fill=colour)


def _square(img: Image.Image) -> Image.Image:
    w, h = img.size
    s = min(w, h)
    return img.crop(((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s)).resize(
        (400, 400)
    )


def _rotate(img: Image.Image, degrees: float) -> Image.Image:
    return img.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor="black")


def _straighten(img: Image.Image, degrees: float) -> Image.Image:
    """Turned a few degrees and cropped to the picture (what a "straighten" tool does)."""
    import math

    w, h = img.size
    turned = img.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=False)
    a = math.radians(abs(degrees))
    mx = math.ceil(h * math.sin(a)) + 2
    my = math.ceil(w * math.sin(a)) + 2
    return turned.crop((mx, my, w - mx, h - my))


def _caption(img: Image.Image) -> Image.Image:
    out = img.copy()
    draw = ImageDraw.Draw(out)
    w, h = out.size
    draw.rectangle([0, int(h * 0.86), w, h], fill=(20, 20, 20))
    draw.text((10, int(h * 0.9)), "shared on some forum 2019", fill=(240, 240, 240))
    return out


#: Kind of alteration -> function. "within" kinds PDQ alone finds already; the others
#: are the ones issue 21 names (borders, crops, small rotations).
ALTERATIONS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "resize_50": lambda im: im.resize((im.width // 2, im.height // 2)),
    "jpeg_q30": lambda im: Image.open(io.BytesIO(jpeg(im, 30))),
    "grey": lambda im: im.convert("L").convert("RGB"),
    "mirror": lambda im: ImageOps.mirror(im),
    "caption_bar": _caption,
    "border_crop_5": lambda im: _crop(im, 0.05, 0.05, 0.95, 0.95),
    "border_crop_7": lambda im: _crop(im, 0.07, 0.07, 0.93, 0.93),
    "border_crop_10": lambda im: _crop(im, 0.10, 0.10, 0.90, 0.90),
    "side_crop_20": lambda im: _crop(im, 0.0, 0.0, 0.80, 1.0),
    "side_crop_13": lambda im: _crop(im, 0.13, 0.0, 1.0, 1.0),
    "top_crop_20": lambda im: _crop(im, 0.0, 0.20, 1.0, 1.0),
    "profile_square": _square,
    "letterbox_white_10": lambda im: _letterbox(im, 0.10, (255, 255, 255)),
    "letterbox_black_15": lambda im: _letterbox(im, 0.15, (0, 0, 0)),
    "frame_grey_8": lambda im: _frame(im, 0.08, (128, 128, 128)),
    "rotate_3": lambda im: _rotate(im, 3),
    "straighten_3": lambda im: _straighten(im, 3),
    "rotate_minus_5": lambda im: _rotate(im, -5),
    "crop_40_corner": lambda im: _crop(im, 0.0, 0.0, 0.6, 0.6),
}
