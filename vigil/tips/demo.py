"""Synthetic demo tips: obviously fake (example.com / .test, documentation IP ranges, 555 numbers)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from vigil.tips import actions
from vigil.tips.actions import SelectorInput as S
from vigil.tips.models import Source, Tip

SOURCES = [
    ("Demo Field Office North", Source.Kind.FIELD_OFFICE, "US", "reliable", ""),
    ("Demo Attaché Office", Source.Kind.ATTACHE, "GB", "reliable", ""),
    ("Demo NCMEC CyberTipline", Source.Kind.NCMEC, "US", "reliable", ""),
    (
        "Demo Public Tip Line",
        Source.Kind.PUBLIC,
        "US",
        "unreliable",
        "Several past reports were pranks",
    ),
    ("Demo NGO Hotline", Source.Kind.NGO, "DE", "reliable", ""),
]

HANDLES = [
    "instagram:demo_handle_1",
    "x:demo_handle_2",
    "discord:demo_user_3",
    "snapchat:demo_user_4",
]
THEMES = [
    ("Chat logs show the user asking for pictures; contact via {email}.", 2),
    ("Account shares links to a file host at http://files.example.test/{n}.", 3),
    ("Report of possession on a shared computer; login from {ip}.", 4),
    ("Ongoing contact reported by a teacher; phone {phone} used.", 1),
    ("Forum post offering trades; see hxxp://forum[.]example[.]test/t/{n}.", 3),
    ("General concern reported anonymously; no further details.", 5),
]


def load(actor) -> str:
    sources = {}
    for name, kind, country, reliability, note in SOURCES:
        src = Source.objects.filter(name=name).first()
        if src is None:
            src = actions.do_create_source(
                actor=actor,
                name=name,
                kind=kind,
                country=country,
                reliability=reliability,
                reliability_note=note,
            )
        sources[name] = src
    names = list(sources)
    created = 0
    now = timezone.now()
    for n in range(30):
        source = sources[names[n % len(names)]]
        ref = f"DEMO-{n + 1:03d}"
        if Tip.objects.filter(source=source, source_reference=ref).exists():
            continue
        template, priority = THEMES[n % len(THEMES)]
        # Some values repeat across tips so deconfliction has something to show.
        email = f"suspect{n % 7}@example.com"
        ip = f"203.0.113.{10 + n % 9}" if n % 2 else f"198.51.100.{20 + n % 5}"
        phone = f"+1 202 555 01{n % 12:02d}"
        selectors = [S("email", email), S("ip", ip), S("online_id", HANDLES[n % len(HANDLES)])]
        if n % 3 == 0:
            selectors.append(S("phone", phone))
        if n % 5 == 0:
            selectors.append(
                S("person", f"Demo Person {n % 4}", details={"dob": f"198{n % 10}-01-0{1 + n % 8}"})
            )
        actions.do_create_tip(
            actor=actor,
            source=source,
            source_reference=ref,
            received_at=now - dt.timedelta(days=30 - n, hours=n),
            received_via=Tip.Via.EMAIL if n % 2 else Tip.Via.PARTNER_FEED,
            narrative=template.format(email=email, ip=ip, phone=phone, n=n),
            country=source.country,
            priority=priority,
            selectors=selectors,
        )
        created += 1
    return f"{created} tips created" if created else "tips exist already"
