"""The subpoena document: a minimised context rendered through the Manager's template.

The template sees plain strings only — identifiers with their dates and time
zone, the categories, the provider's name and address, the return
instructions and the issuing office. No tip, narrative, offence, other tip or
person data is ever put into the context, so no template edit can print it.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template import Context, Engine, TemplateSyntaxError
from django.utils import timezone

from vigil.lib.pdf import html_to_pdf
from vigil.subpoenas.models import SubpoenaTemplate

DEFAULT_BODY = (Path(__file__).parent / "default_template.html").read_text()
DEFAULT_OFFICE = "Child Exploitation Investigations Unit\nCyber Crimes Center\nLegal process desk"
DEFAULT_RETURN = (
    "Send the records by e-mail to the legal process desk named above, quoting the reference "
    "of this subpoena. Do not disclose the existence of this subpoena to the subscriber."
)
TYPE_LABELS = {
    "ip": "IP address",
    "email": "E-mail address",
    "online_id": "Online ID",
    "phone": "Telephone number",
    "domain": "Domain",
    "url": "URL",
}
# A sandboxed engine: no loaders and no include/extends (loader_tags removed), no tag libraries.
_ENGINE = Engine(autoescape=True, loaders=[], libraries={})
_ENGINE.builtins = [b for b in _ENGINE.builtins if b != "django.template.loader_tags"]
_ENGINE.template_builtins = _ENGINE.get_template_builtins(_ENGINE.builtins)


class TemplateError(ValueError):
    pass


def current_template() -> Any:
    tpl = SubpoenaTemplate.objects.order_by("-id").first()
    if tpl is None:
        tpl = SubpoenaTemplate(
            body=DEFAULT_BODY, issuing_office=DEFAULT_OFFICE, return_instructions=DEFAULT_RETURN
        )
    return tpl


def _when(observed: dt.datetime | None, zone: str) -> str:
    if observed is None:
        return ""
    utc = observed.astimezone(dt.UTC)
    text = utc.strftime("%Y-%m-%d %H:%M:%S UTC")
    if zone and zone != "UTC":
        local = observed.astimezone(zoneinfo.ZoneInfo(zone))
        text = f"{local.strftime('%Y-%m-%d %H:%M:%S %Z')} ({zone}) = {text}"
    return text


def context_for(subpoena: Any) -> dict[str, Any]:
    """Everything the document may contain, as plain strings."""
    provider = subpoena.provider
    tpl = current_template()
    issued = subpoena.approved_at or timezone.now()
    return {
        "reference": subpoena.reference,
        "issued_on": issued.astimezone(dt.UTC).strftime("%Y-%m-%d"),
        "time_zone": subpoena.time_zone,
        "provider": {
            "name": provider.name,
            "legal_contact": provider.legal_contact,
            "address": provider.address,
        },
        "identifiers": [
            {
                "type": TYPE_LABELS.get(i.type, i.type),
                "value": i.value,
                "port": i.port,
                "when": _when(i.observed_at, subpoena.time_zone),
            }
            for i in subpoena.identifiers.all()
        ],
        "categories": subpoena.category_labels(),
        "return_instructions": tpl.return_instructions,
        "issuing_office": tpl.issuing_office,
        "due_date": subpoena.due_date.isoformat() if subpoena.due_date else "",
        "approved_by": (
            (subpoena.approved_by.get_full_name() or subpoena.approved_by.get_username())
            if subpoena.approved_by_id
            else ""
        ),
    }


def compile_body(body: str) -> Any:
    try:
        return _ENGINE.from_string(body)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"The template has an error: {exc}") from None


def render_html(context: dict[str, Any], body: str | None = None) -> str:
    template = compile_body(body if body is not None else current_template().body)
    return template.render(Context(context))


def render_pdf(context: dict[str, Any], body: str | None = None) -> bytes:
    html = render_html(context, body)
    # Relative links (the default template's stylesheet) resolve against the app's static files.
    return html_to_pdf(html, base_dir=Path(settings.BASE_DIR) / "static")


def sample_context() -> dict[str, Any]:
    """Made-up values for the template preview."""
    tpl = current_template()
    now = timezone.now()
    return {
        "reference": "SUB-0000-000000",
        "issued_on": now.strftime("%Y-%m-%d"),
        "time_zone": "America/New_York",
        "provider": {
            "name": "Example Network Services",
            "legal_contact": "Legal Compliance",
            "address": "1 Example Way\nSpringfield",
        },
        "identifiers": [
            {
                "type": "IP address",
                "value": "192.0.2.10",
                "port": 51234,
                "when": _when(now, "America/New_York"),
            },
            {"type": "E-mail address", "value": "someone@example.net", "port": None, "when": ""},
        ],
        "categories": ["Name", "Address"],
        "return_instructions": tpl.return_instructions,
        "issuing_office": tpl.issuing_office,
        "due_date": (now + dt.timedelta(days=14)).strftime("%Y-%m-%d"),
        "approved_by": "",
    }
