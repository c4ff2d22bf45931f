"""The dashboard per role: what waits for each role, nothing offered that the role cannot do,
and a fixed number of queries however much waits."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from vigil.deconfliction.tests import factories as f
from vigil.messaging.models import Message
from vigil.referrals.models import Office, Referral
from vigil.search.tests import factories as sf
from vigil.subpoenas.models import Subpoena
from vigil.testing.personas import make_user
from vigil.testing.queries import check_list_queries
from vigil.testing.world import build, use_tmp_dirs
from vigil.victimid.models import MatchRequest

_HREF = re.compile(r'<a [^>]*href="(/[^"#]*)"')
_n = itertools.count(1)


@pytest.fixture
def world(personas, settings, tmp_path):
    use_tmp_dirs(settings, tmp_path)
    return build(personas)


@pytest.mark.parametrize("role", ["reader", "investigator", "manager", "admin"])
def test_every_link_on_the_dashboard_answers_the_role(client, personas, world, role):
    user = getattr(personas, role)
    client.force_login(user)
    page = client.get(reverse("core-dashboard")).content.decode()
    links = sorted({h.replace("&amp;", "&") for h in _HREF.findall(page)})
    assert len(links) > 5
    refused = [(h, s) for h in links if (s := client.get(h).status_code) >= 400]
    assert not refused, f"{role} is offered what it may not open: {refused}"


def test_each_role_sees_what_waits_for_it(client, personas, world):
    client.force_login(personas.reader)
    page = client.get(reverse("core-dashboard")).content.decode()
    assert "Open tips" in page and "Open flags on my tips" not in page
    assert "new match request" not in page and "subpoena-dashboard" not in page
    client.force_login(personas.investigator)
    page = client.get(reverse("core-dashboard")).content.decode()
    assert "My open tips" in page and 'data-testid="tips-by-priority"' in page
    assert "subpoena-dashboard" in page and "Referrals awaiting acknowledgement" in page
    assert "new-material" in page and "subpoenas-to-approve" not in page
    client.force_login(personas.manager)
    page = client.get(reverse("core-dashboard")).content.decode()
    assert 'data-testid="stats-month"' in page and "subpoenas-to-approve" in page
    assert "retention-dashboard" in page


def _waiting(personas):
    """n more of everything that waits: the investigator's tips (each with a flag), an
    overdue subpoena, a referral to acknowledge, an unread message, a running match request
    and an item of new material."""

    def add(n):
        for _ in range(n):
            i = next(_n)
            mine = f.tip(f"D-{i}", assigned=personas.investigator, priority=1 + i % 5)
            other = f.tip(f"E-{i}", assigned=make_user(f"dash{i}", "investigator"))
            f.add(mine, "email", f"shared{i}@example.org")
            f.add(other, "email", f"shared{i}@example.org")
            sf.subpoena_naming(mine, "email", f"shared{i}@example.org")
            Subpoena.objects.filter(tip=mine).update(
                status=Subpoena.Status.SERVED,
                due_date=timezone.localdate() - dt.timedelta(days=3),
            )
            office = Office.objects.create(code=f"dash-{i}", name=f"Dash {i}", kind="field_office")
            Referral.objects.create(
                tip=mine,
                office=office,
                status=Referral.Status.SENT,
                sent_at=timezone.now(),
                created_by=personas.investigator,
            )
            Message.objects.create(recipient=personas.investigator, subject=f"Message {i}")
            MatchRequest.objects.create(requesting_agency=f"Agency {i}", case_number=f"C-{i}")
            sf.media(None, md5=f"{i:032x}")

    return add


@pytest.mark.parametrize("role", ["investigator", "manager"])
def test_the_dashboard_runs_a_fixed_number_of_queries(client, personas, role):
    check_list_queries(
        client,
        getattr(personas, role),
        reverse("core-dashboard"),
        _waiting(personas),
        max_queries=40,
    )
