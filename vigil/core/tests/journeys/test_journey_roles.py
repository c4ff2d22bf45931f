"""Journey 3: who may change what, through the pages and the API.

A Read-only user tries to edit, link, delete and share through the pages and the API and is
refused every time, each refusal in the audit trail; an Investigator cannot delete; a Manager
can, under the retention rules (past retention, not held, proposed then approved).

Where a page offers a Read-only user no control, the test sends what the control would have
sent, from the user's own session (as a user with the browser's developer tools could).
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.utils import timezone

from vigil.deconfliction.models import Flag
from vigil.retention import actions as retention_actions
from vigil.testing.browser import collect_console_errors, guide_shot, login
from vigil.tips import actions as tip_actions
from vigil.tips.models import Selector, Source, Tip
from vigil.victimid import actions as victimid_actions

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_AGO = timezone.now() - dt.timedelta(days=365 * 76)


def _tip(actor, ref, *selectors):
    return tip_actions.do_create_tip(
        actor=actor,
        source=Source.objects.get_or_create(name="Field Office Alpha")[0],
        source_reference=ref,
        narrative="Suspect seen online.",
        selectors=[tip_actions.SelectorInput(t, v) for t, v in selectors],
    )


def _aged(tip):
    """No activity on the tip since `LONG_AGO`: past the 75 years of retention."""
    Tip.objects.filter(pk=tip.pk).update(updated_at=LONG_AGO, created_at=LONG_AGO)
    Selector.objects.filter(tip=tip).update(created_at=LONG_AGO)


def _post(page, url, data=None):
    """What a form would post, from the page's session, with the page's CSRF token."""
    token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    return page.request.post(url, form={"csrfmiddlewaretoken": token, **(data or {})})


def _sign_in(page, live_server, user):
    page.context.clear_cookies()
    login(page, live_server, user)


def test_each_role_is_refused_what_it_may_not_do(page, live_server, personas):
    errors = collect_console_errors(page)
    url = live_server.url
    ivan, maria, reader = personas.investigator, personas.manager, personas.reader
    a = _tip(ivan, "R-1", ("email", "suspect@mail.example"), ("phone", "+1 202 555 0143"))
    b = _tip(ivan, "R-2", ("email", "suspect@mail.example"))
    c = _tip(ivan, "R-3", ("phone", "+1 202 555 0143"))
    flag_ab = Flag.objects.get(tip_a=a, tip_b=b)
    flag_ac = Flag.objects.get(tip_a=a, tip_b=c)
    c_phone = Selector.objects.get(tip=c, type="phone")
    series = victimid_actions.do_create_series(actor=maria, data={"name": "Kept (demo)"})
    old = _tip(ivan, "R-OLD-1", ("ip", "198.51.100.9"))
    held = _tip(ivan, "R-OLD-2", ("ip", "198.51.100.10"))
    _aged(old)
    _aged(held)
    retention_actions.do_place_hold(
        name="US v. Example (demo)",
        reason="Preservation letter of the prosecutor",
        items=[("tip", held.pk)],
        actor=maria,
    )

    # 1. Read-only, through the pages: no control offered, and a forged request refused.
    login(page, live_server, reader)
    page.goto(f"{url}/tips/{a.pk}/")
    page.wait_for_selector("[data-testid=selectors]")
    assert page.locator("a:has-text('Edit')").count() == 0
    edit = page.goto(f"{url}/tips/{a.pk}/edit/")
    guide_shot(page, "roles-refused")
    page.goto(f"{url}/deconfliction/tip/{a.pk}/")
    page.wait_for_selector("[data-testid=flag-row]")
    assert page.locator("button[data-action=link]").count() == 0
    assert "Deciding needs an investigator" in page.inner_text("[data-testid=flag-row]")
    guide_shot(page, "roles-reader-flags", focus="[data-testid=flag-row]")
    refused = {
        "edit (page)": edit,
        "link (page)": _post(page, f"{url}/deconfliction/flags/{flag_ab.pk}/link", {"note": "x"}),
        "delete (page)": _post(page, f"{url}/victimid/series/{series.pk}/delete"),
    }
    refused["share (page)"] = page.goto(f"{url}/referrals/shares/new/?tip={a.pk}&kind=ip_list")

    # 2. Read-only, through the API, with a token made on the API access page.
    page.goto(f"{url}/accounts/api-tokens/")
    page.fill("input[name=name]", "reader's script")
    page.click("[data-testid=token-form] button[type=submit]")
    secret = page.inner_text("[data-testid=token-secret]").strip()
    page.context.clear_cookies()  # the token alone
    api = page.context.request
    auth = {"Authorization": f"Token {secret}"}
    refused["edit (API)"] = api.patch(
        f"{url}/api/tips/{b.pk}/", headers=auth, data={"narrative": "changed"}
    )
    refused["link (API)"] = api.post(
        f"{url}/api/deconfliction/flags/{flag_ac.pk}/link/", headers=auth, data={"note": "x"}
    )
    refused["delete (API)"] = api.delete(
        f"{url}/api/tips/{c.pk}/selectors/{c_phone.pk}/", headers=auth
    )
    statuses = {what: r.status for what, r in refused.items()}
    assert statuses == {
        "edit (page)": 403,
        "link (page)": 403,
        "delete (page)": 403,
        "share (page)": 403,
        "edit (API)": 403,
        "link (API)": 403,
        "delete (API)": 403,
    }, statuses

    # 3. An Investigator cannot delete either: not a series, not a tip past retention.
    login(page, live_server, ivan)
    page.goto(f"{url}/victimid/series/{series.pk}")
    page.wait_for_selector("h1")
    assert page.locator("button:has-text('Delete')").count() == 0
    assert _post(page, f"{url}/victimid/series/{series.pk}/delete").status == 403
    assert page.goto(f"{url}/records/disposition/").status == 403

    # 4. Each refusal is in the audit trail, the Manager sees it.
    _sign_in(page, live_server, maria)
    page.goto(f"{url}/audit/?outcome=denied")
    trail = page.inner_text("table")
    rows = [line for line in trail.splitlines() if "\tdenied" in line]
    by_reader = [r for r in rows if f"\t{reader.username}\t" in r]
    by_ivan = [r for r in rows if f"\t{ivan.username}\t" in r]
    # The edit page, the link, the delete and the share pages; the API's edit, link, delete.
    assert len(by_reader) >= 7, trail
    for what in ("access.write", "access.delete", "access.use"):
        assert any(what in r for r in by_reader), (what, trail)
    assert any("access.delete" in r for r in by_ivan) and any("access.use" in r for r in by_ivan)
    guide_shot(page, "audit-refusals")

    # 5. The Manager deletes under the retention rules: past retention and not held.
    page.goto(f"{url}/records/disposition/")
    held_row = page.locator(f"[data-testid=row-{held.pk}]")
    assert "cannot be deleted" in held_row.inner_text()
    row = page.locator(f"[data-testid=row-{old.pk}]")
    row.locator("input[name=reason]").fill("Past retention, no open case")
    row.locator("button:has-text('Propose deletion')").click()
    page.wait_for_selector("[data-testid=proposals]")
    guide_shot(page, "retention-disposition")
    page.locator("[data-testid=proposals] button:has-text('Approve and delete')").click()
    page.wait_for_selector("text=No deletion awaits approval.")
    assert page.locator(f"[data-testid=row-{old.pk}]").count() == 0
    page.goto(f"{url}/audit/?action=retention.delete")
    assert "retention.delete" in page.inner_text("table")
    assert not Tip.objects.filter(pk=old.pk).exists()
    assert Tip.objects.filter(pk=held.pk).exists()
    assert not errors or all("403" in e or "Failed to load resource" in e for e in errors), errors
