from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from vigil.testing import conformance

CONFORMANCE = conformance.PDQ
BRIDGE = CONFORMANCE / "bridge-mods" / "aaa-orig.jpg"


@pytest.fixture(autouse=True)
def _store(settings, tmp_path):
    """Every test writes media into its own folder and starts with an empty index."""
    from vigil.victimid import matching

    settings.MEDIA_STORE_DIR = tmp_path / "media"
    settings.UPLOAD_DIR = tmp_path / "uploads"
    matching.reset_index()
    yield
    matching.reset_index()


@pytest.fixture
def conformance() -> Path:
    return CONFORMANCE


def jpeg(img: Image.Image, quality: int = 85) -> bytes:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def pattern(seed: int, size: int = 256) -> bytes:
    """A generated picture with structure (PDQ quality 100), different per seed."""
    import numpy as np

    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
    img = Image.fromarray(small).resize((size, size), Image.Resampling.BICUBIC)
    return jpeg(img, 92)


@pytest.fixture
def series_factory(personas):
    from vigil.victimid import actions

    def make(name="Bridge", files=(), identified=True, actor=None, **extra):
        data = {
            "name": name,
            "victim_identified": identified,
            "contact_agency": "Example Police (demo)",
            "contact_investigator": "Det. Sample",
            "contact_email": "det.sample@example.invalid",
            "contact_phone": "+1 555 0100",
            **extra,
        }
        if identified:
            data.setdefault("victim_age_range", "9-12")
            data.setdefault("relationship_to_offender", "relative")
            data.setdefault("year_of_production", 2019)
        actor = actor or personas.manager
        series = actions.do_create_series(actor=actor, data=data)
        media = []
        for f in files:
            if isinstance(f, Path):
                media.append(
                    actions.do_add_media(
                        series, actor=actor, data=f.read_bytes(), filename=f.name
                    ).media
                )
            else:
                fname, content = f
                media.append(
                    actions.do_add_media(series, actor=actor, data=content, filename=fname).media
                )
        return series, media

    return make
