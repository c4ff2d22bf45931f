"""The matching report: one structure, rendered as a page, JSON and PDF."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string

from vigil.lib.pdf import html_to_pdf
from vigil.victimid import storage, thumbs
from vigil.victimid.models import MatchRequest, Media, Series

OUTCOMES = {
    "identified": "Matches an identified-victim series",
    "unidentified": "Matches an unidentified series",
    "no_match": "No match",
    "error": "Could not be read",
}
# The report lists at most this many other media of each matched series.
SERIES_MEDIA_LIMIT = 60


def _series_info(series: Series) -> dict[str, Any]:
    info: dict[str, Any] = {
        "id": series.pk,
        "name": series.name,
        "victim_identified": series.victim_identified,
        # Whether a real child is shown: prosecution needs it; stated on every match.
        "origin": series.origin,
        "origin_label": series.origin_label,
        "origin_established_by": series.origin_established_by,
        "origin_method": series.origin_method,
        "origin_established_on": (
            series.origin_established_on.isoformat() if series.origin_established_on else None
        ),
        "contact": series.contact_dict(),
    }
    if series.victim_identified:
        info["victim_age_range"] = series.victim_age_range
        info["victim_age_min"] = series.victim_age_min
        info["victim_age_max"] = series.victim_age_max
        info["relationship_to_offender"] = series.relationship_to_offender
        info["relationship_label"] = series.relationship_label
        info["year_of_production"] = series.year_of_production
    return info


def build(mr: MatchRequest) -> dict[str, Any]:
    items = list(mr.items.all())
    series_ids = sorted({m["series_id"] for it in items for m in it.matches})
    series = {s.pk: s for s in Series.objects.filter(pk__in=series_ids)}
    matched_media = {m["media"] for it in items for m in it.matches}
    out_items = []
    for it in items:
        matches = []
        for m in it.matches:
            s = series.get(m["series_id"])
            if s is None:
                continue
            entry = {
                "method": m["method"],
                "distance": m["distance"],
                "media": m["media"],
                "media_reference": f"M-{m['media']}",
                "series": _series_info(s),
            }
            for extra in ("frames", "transform"):
                if extra in m:
                    entry[extra] = m[extra]
            matches.append(entry)
        if it.error:
            outcome = "error"
        elif any(m["series"]["victim_identified"] for m in matches):
            outcome = "identified"
        elif matches:
            outcome = "unidentified"
        else:
            outcome = "no_match"
        out_items.append(
            {
                "position": it.position + 1,
                "name": it.name,
                "kind": it.kind,
                "md5": it.md5,
                "sha1": it.sha1,
                "sha256": it.sha256,
                "pdq": it.pdq,
                "pdq_quality": it.pdq_quality,
                "low_quality": it.low_quality,
                "video_frames": it.frames,
                "error": it.error,
                "outcome": outcome,
                "outcome_label": OUTCOMES[outcome],
                "matches": matches,
                "media_id": it.media_id,
            }
        )

    out_series = []
    for sid in series_ids:
        s = series[sid]
        media = Media.objects.filter(series=s).order_by("id")
        info = _series_info(s)
        info["media_count"] = media.count()
        info["media"] = [
            {
                "id": m.pk,
                "reference": m.reference,
                "kind": m.kind,
                "md5": m.md5,
                "pdq": m.pdq,
                "matched": m.pk in matched_media,
            }
            for m in media[:SERIES_MEDIA_LIMIT]
        ]
        out_series.append(info)
    return {
        "request": {
            "id": mr.pk,
            "requesting_agency": mr.requesting_agency,
            "case_number": mr.case_number,
            "submitted_by": mr.submitted_by.username if mr.submitted_by else "",
            "created_at": mr.created_at.isoformat(timespec="seconds"),
            "finished_at": mr.finished_at.isoformat(timespec="seconds") if mr.finished_at else None,
            "status": mr.status,
            "threshold": mr.threshold,
            "dihedral": mr.dihedral,
        },
        "summary": mr.summary or {},
        # What matched nothing is the new material: possibly a child nobody has
        # identified yet. Listed first (page, PDF) for victim-identification work;
        # `items` keeps the submission order.
        "new_material": [
            {"position": i["position"], "name": i["name"], "media_id": i["media_id"]}
            for i in out_items
            if i["outcome"] == "no_match"
        ],
        "items": out_items,
        "series": out_series,
    }


def _thumb_data_uri(media_id: int) -> str:
    media = Media.objects.filter(pk=media_id).first()
    data = None
    if media is not None and media.has_file:
        try:
            data = storage.read(media.stored_path, media.wrapped_key)
        except Exception:  # noqa: BLE001 - a damaged file shows as a placeholder
            data = None
    png = thumbs.render(data, kind=media.kind if media else "image")
    return "data:image/png;base64," + base64.b64encode(png).decode()


def render_pdf(data: dict[str, Any]) -> bytes:
    for s in data["series"]:
        for m in s["media"]:
            m["thumb"] = _thumb_data_uri(m["id"])
    css_dir = Path(__file__).resolve().parent / "static" / "victimid"
    html = render_to_string("victimid/report_pdf.html", {"r": data})
    try:
        return html_to_pdf(html, base_dir=css_dir)
    finally:
        for s in data["series"]:
            for m in s["media"]:
                m.pop("thumb", None)
