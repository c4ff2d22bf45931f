"""Synthetic demo data: two series of ordinary photos shipped in ``demo_media/`` (the PDQ
conformance bridge, street and desk photos, BSD licence beside them) and one of generated
patterns. Contacts are obviously fake. Idempotent: a second run adds nothing. A demo file that
is missing from the checkout is reported loudly (stderr and the summary), never skipped silently."""

from __future__ import annotations

import io
import sys
from pathlib import Path

from vigil.victimid import actions
from vigil.victimid.models import Series

DEMO_MEDIA = Path(__file__).resolve().parent / "demo_media"

SERIES = [
    {
        "name": "DEMO Bridge (identified)",
        "victim_identified": True,
        "victim_age_range": "9-12",
        "relationship_to_offender": "family_friend",
        "year_of_production": 2019,
        "contact_agency": "Demo County Sheriff (fictitious)",
        "contact_investigator": "Det. Demo Example",
        "contact_email": "det.demo@example.invalid",
        "contact_phone": "+1 555 0100",
        "notes": "Demo data: ordinary bridge photos from the PDQ conformance set.",
        "files": [
            "aaa-orig.jpg",
            "high-contrast.jpg",
            "square-512x512.jpg",
        ],
    },
    {
        "name": "DEMO Street and desk (not identified)",
        "victim_identified": False,
        "contact_agency": "Demo State Police (fictitious)",
        "contact_investigator": "Analyst Sample Person",
        "contact_email": "analyst.sample@example.invalid",
        "notes": "Demo data: ordinary photos from the PDQ conformance set.",
        "files": ["c.png", "pen-and-coaster.png"],
    },
]


def _pattern(seed: int) -> bytes:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
    img = Image.fromarray(small).resize((320, 320), Image.Resampling.BICUBIC)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def load(actor) -> str:
    created = added = 0
    missing: list[str] = []
    plans = [
        (
            {k: v for k, v in s.items() if k != "files"},
            [(f, DEMO_MEDIA / f) for f in s["files"]],
        )
        for s in SERIES
    ]
    plans.append(
        (
            {
                "name": "DEMO Generated patterns (identified)",
                "victim_identified": True,
                "victim_age_range": "13-15",
                "relationship_to_offender": "online_contact",
                "year_of_production": 2022,
                "contact_agency": "Demo Task Force (fictitious)",
                "contact_investigator": "SA Placeholder Name",
                "contact_email": "sa.placeholder@example.invalid",
                "notes": "Demo data: generated colour patterns.",
            },
            [(f"pattern-{i}.jpg", _pattern(i)) for i in range(1, 5)],
        )
    )
    for data, files in plans:
        series = Series.objects.filter(name=data["name"]).first()
        if series is None:
            series = actions.do_create_series(actor=actor, data=data)
            created += 1
        for name, src in files:
            if isinstance(src, Path):
                if not src.is_file():
                    missing.append(str(src))
                    sys.stderr.write(f"WARNING: demo file missing, not loaded: {src}\n")
                    continue
                content = src.read_bytes()
            else:
                content = src
            if actions.do_add_media(
                series, actor=actor, data=content, filename=name, origin="demo"
            ).created:
                added += 1
    gap = f"; MISSING {len(missing)} demo file(s): {', '.join(missing)}" if missing else ""
    if not created and not added:
        return gap.lstrip("; ")
    return f"{created} series, {added} media{gap}"
