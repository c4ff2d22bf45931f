"""NCMEC CyberTipline report XML (defusedxml iterparse, one report at a time)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import IO, Any

from django.core.exceptions import ValidationError

from vigil.tips import actions, columns
from vigil.tips.dates import parse_when
from vigil.tips.importing.rows import ImportFileError, RowError, Summary, TipRow
from vigil.tips.models import Tip

_DROPPED = {"victim", "intendedrecipient"}
_SKIPPED = {"reporter", "lawenforcement"}


def _tag(elem: Any) -> str:
    tag = elem.tag if isinstance(elem.tag, str) else ""
    return tag.rsplit("}", 1)[-1]


def _text(elem: Any, name: str) -> str:
    for child in elem:
        if _tag(child).lower() == name.lower():
            return (child.text or "").strip()
    return ""


def _dropped_tag(name: str) -> bool:
    """A `<victim>`, `<intendedRecipient>` or any element that names a child: dropped unread."""
    return name in _DROPPED or columns.is_child_column(name)


def _walk(elem: Any, context: dict[str, str]) -> Iterator[tuple[Any, dict[str, str]]]:
    for child in elem:
        name = _tag(child).lower()
        if name in _SKIPPED or _dropped_tag(name):
            continue
        ctx = context
        if name == "personoruserreported":
            ctx = {**context, "platform": _text(child, "espService") or context.get("platform", "")}
        yield child, ctx
        yield from _walk(child, ctx)


def _report_to_row(report: Any, index: int) -> TipRow:
    summary_el = next((c for c in report if _tag(c).lower() == "incidentsummary"), None)
    reference = ""
    for child, _ in _walk(report, {}):
        if _tag(child).lower() == "reportid" and (child.text or "").strip():
            reference = child.text.strip()
            break
    reference = reference or report.get("id", "") or report.get("reportId", "")
    if not reference:
        from xml.etree.ElementTree import tostring

        reference = "sha256:" + hashlib.sha256(tostring(report)).hexdigest()[:24]
    row = TipRow(line=index, reference=reference[:200], via=Tip.Via.PARTNER_FEED)
    lines = [
        "NCMEC CyberTipline report"
        + (f" {reference}" if not reference.startswith("sha256:") else "")
    ]
    if summary_el is not None:
        kind = _text(summary_el, "incidentType")
        if kind:
            lines.append(f"Incident type: {kind}")
        annotations = next((c for c in summary_el if _tag(c).lower() == "reportannotations"), None)
        if annotations is not None and len(annotations):
            lines.append("Annotations: " + ", ".join(_tag(a) for a in annotations))
        when = _text(summary_el, "incidentDateTime")
        if when:
            try:
                row.received_at = parse_when(when, column="incidentDateTime")
            except ValidationError:
                row.attributes["incidentDateTime"] = when
            lines.append(f"Incident date: {when}")
    row.narrative = "\n".join(lines)
    unparsed: list[str] = []

    def add(kind: str, raw: str, **kw: Any) -> None:
        raw = (raw or "").strip()
        if raw:
            row.selectors.append(actions.SelectorInput(kind, raw[:1000], **kw))

    for elem, ctx in _walk(report, {}):
        name = _tag(elem).lower()
        text = (elem.text or "").strip()
        if name in {"url", "profileurl"}:
            add("url", text)
        elif name in {"email", "emailaddress"}:
            add("email", text)
        elif name == "phone":
            cc = elem.get("countryCallingCode", "").strip().lstrip("+")
            add("phone", f"+{cc} {text}" if cc and not text.startswith("+") else text)
        elif name == "screenname":
            add("online_id", text, platform=(ctx.get("platform") or "unknown").lower())
        elif name == "ipcaptureevent":
            ip = _text(elem, "ipAddress")
            when = _text(elem, "dateTime")
            port = _text(elem, "port")
            seen = None
            try:
                seen = parse_when(when, column="dateTime") if when else None
            except ValidationError:
                unparsed.append(f"ip capture time {when}")
            add(
                "ip",
                ip,
                observed_at=seen,
                port=int(port) if port.isdigit() and int(port) < 65536 else None,
            )
        elif name == "ipaddress" and _tag(elem) and not _is_in_capture(report, elem):
            add("ip", text)
        elif name == "personoruserreportedperson":
            full = " ".join(p for p in (_text(elem, "firstName"), _text(elem, "lastName")) if p)
            dob = _text(elem, "dateOfBirth")
            if full:
                add("person", full, details={"dob": dob} if dob else {})
        elif name == "address" and len(elem):
            parts = [(c.text or "").strip() for c in elem if (c.text or "").strip()]
            add("address", ", ".join(parts))
        elif name.endswith("hash") and re.fullmatch(r"[0-9a-fA-F]{32,64}", text):
            add("file_hash", text, details={"algorithm": (elem.get("hashType") or "").lower()})
        elif columns.sensitive_kind(name) and text:
            add(columns.sensitive_kind(name) or "", text)
    # Keep what does not parse rather than lose the report.
    good = []
    for item in row.selectors:
        try:
            actions.build_selector(Tip(country=""), item)
            good.append(item)
        except ValidationError:
            if item.type in actions.HASHED_TYPES:  # never keep a near-SSN in clear
                unparsed.append(f"{item.type}: a value that is not valid (not kept)")
            else:
                unparsed.append(f"{item.type}: {item.raw[:100]}")
    row.selectors = good
    if unparsed:
        row.attributes["unparsed"] = unparsed
    return row


def _is_in_capture(report: Any, elem: Any) -> bool:
    for capture in report.iter():
        if _tag(capture).lower() == "ipcaptureevent" and elem in list(capture):
            return True
    return False


def read_cybertipline(binary: IO[bytes], summary: Summary) -> Iterator[TipRow | RowError]:
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import iterparse

    index = 0
    depth_dropped = 0
    root = None
    try:
        for event, elem in iterparse(binary, events=("start", "end"), forbid_dtd=True):
            name = _tag(elem).lower()
            if event == "start":
                if root is None:
                    root = elem
                if _dropped_tag(name):
                    depth_dropped += 1
                continue
            if _dropped_tag(name):
                depth_dropped -= 1
                elem.clear()
                if depth_dropped == 0:  # a section nested in another counts once
                    summary.victim_sections_dropped += 1
                continue
            if name == "report" and depth_dropped == 0:
                index += 1
                try:
                    yield _report_to_row(elem, index)
                except ValidationError as exc:
                    yield RowError(index, "; ".join(exc.messages))
                elem.clear()
                if root is not None and root is not elem:
                    root.clear()
    except DefusedXmlException as exc:
        raise ImportFileError(
            f"The XML declares a DTD or entities ({exc.__class__.__name__}); such files are refused "
            "(they can expand without bound, e.g. a 'billion laughs' attack)."
        ) from None
    except ParseError as exc:
        raise ImportFileError(f"The XML is not well-formed: {exc}.") from None
    if index == 0:
        raise ImportFileError("No <report> element found: not a CyberTipline report file.")
    if summary.victim_sections_dropped:
        summary.warnings.append(
            f"{summary.victim_sections_dropped} victim / intended-recipient section(s) dropped unread: "
            "Vigil stores no victim information."
        )
