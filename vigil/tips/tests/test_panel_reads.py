"""Issue 14: every panel other apps add to the tip page (vigil/tips/panels.py) writes one read
audit row naming what it showed, as the flags panel does; subpoenas', referrals', look-ups'
and retention's panels wrote none. A new panel must say here which row it writes."""

from __future__ import annotations

from django.urls import reverse

from vigil.audit.models import AuditEvent
from vigil.deconfliction.tests import factories as f
from vigil.tips import panels

# The read row each registered panel writes (action; its object type is the listed model).
PANEL_READS = {
    "deconfliction-tip-panel": ("flag.list", "deconfliction.flag"),
    "subpoenas-tip-panel": ("subpoena.list", "subpoenas.subpoena"),
    "referrals-tip-panel": ("referral.list", "referrals.referral"),
    "lookups-tip-panel": ("lookups.list", "lookups.rdapresult"),
    "retention-tip-panel": ("correction.list", "retention.inaccuracyreport"),
}


def test_every_tip_page_panel_writes_a_read_row(client, personas):
    tip = f.tip("PANEL-1", assigned=personas.investigator)
    f.selector(tip, "ip", "203.0.113.7")
    registered = list(panels._url_names)
    assert set(registered) == set(PANEL_READS), "a new tip-page panel: name its read row here"
    client.force_login(personas.reader)
    for name in registered:
        action, object_type = PANEL_READS[name]
        before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        assert client.get(reverse(name, args=[tip.pk])).status_code == 200, name
        rows = AuditEvent.objects.filter(id__gt=before, actor=personas.reader, action=action)
        assert rows.count() == 1, f"{name}: {rows.count()} {action!r} rows"
        row = rows.get()
        assert row.object_type == object_type, name
        assert row.changes["filters"] == {"tip": tip.pk}, name
        assert row.changes["count"] == 0, name  # nothing of theirs on this tip yet


def test_a_panel_a_role_may_not_see_writes_no_read_row(client, personas):
    client.force_login(personas.reader)
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    for name in panels._url_names:
        assert client.get(reverse(name, args=[999999])).status_code == 404, name
    actions = {a for a, _ in PANEL_READS.values()}
    assert not AuditEvent.objects.filter(id__gt=before, action__in=actions).exists()


def test_the_panels_name_the_records_they_showed(client, personas):
    from django.utils import timezone

    from vigil.lookups.models import RdapResult
    from vigil.retention import actions as retention_actions

    tip = f.tip("PANEL-2", assigned=personas.investigator)
    f.selector(tip, "ip", "203.0.113.7")
    answer = RdapResult.objects.create(
        kind="ip", query="203.0.113.7", status="ok", fetched_at=timezone.now(), org_name="X"
    )
    report = retention_actions.do_report_inaccuracy(
        tip, reported_by="field office", what="wrong IP", actor=personas.investigator
    )
    client.force_login(personas.reader)
    assert client.get(reverse("lookups-tip-panel", args=[tip.pk])).status_code == 200
    row = AuditEvent.objects.filter(actor=personas.reader, action="lookups.list").get()
    assert row.changes["ids"] == str(answer.pk) and row.changes["count"] == 1
    assert client.get(reverse("retention-tip-panel", args=[tip.pk])).status_code == 200
    row = AuditEvent.objects.filter(actor=personas.reader, action="correction.list").get()
    assert row.changes["ids"] == str(report.pk) and row.changes["holds"] == 0
