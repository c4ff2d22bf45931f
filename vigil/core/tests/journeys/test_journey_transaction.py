"""Journey 1, the typical transaction of the privacy assessment, through the pages.

A foreign agency's file of IP addresses → one tip per IP → one IP matches an older tip → the
analyst links → look-up of the IP's owner → subpoena drafted, approved, served → response
entered, a new e-mail flags a third tip → a second subpoena to the entity the first named (the
e-mail's provider) → the cluster referred to a field office with a case number → a fourth tip
later linked to the cluster is proposed for the same office and its analyst notified → the
month's statistics show the counts.
"""

from __future__ import annotations

import datetime as dt
import os
import re

import pyrage
import pytest
from django.utils import timezone

from vigil.accounts.actions import do_grant_share
from vigil.lookups import actions as lookup_actions
from vigil.referrals import packages
from vigil.referrals.models import Office
from vigil.testing.browser import collect_console_errors, guide_shot, login, open_tip_page
from vigil.testing.rdap import HANDLE, IP
from vigil.tips import actions as tip_actions
from vigil.tips.models import Source

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "pat.subscriber@mail.example"
CASE = "NWK-2026-0117"
IPS = f"""# Shared by the Bundeskriminalamt, case BKA-41-2026
198.51.100.14,2026-11-27T08:12:44Z
{IP},2026-11-28T14:22:05Z
203.0.113.77,2026-11-29T21:03:10Z
"""


def _panels(page, tip_url):
    """The tip page with the panels this journey reads."""
    open_tip_page(
        page,
        tip_url,
        "[data-testid=flags-panel]",
        "[data-testid=lookups-panel]",
        "[data-testid=subpoenas-panel]",
        "[data-testid=referrals-panel]",
    )


def _sign_in(page, live_server, user):
    page.context.clear_cookies()
    login(page, live_server, user)


def test_the_typical_transaction(page, live_server, personas, rdap_registry, tmp_path):
    errors = collect_console_errors(page)
    url = live_server.url
    ivan, olga, maria = personas.investigator, personas.other_investigator, personas.manager
    # Reference data a Manager and an administrator keep: RDAP on, the providers' legal desks,
    # the field offices. The older tip holds the IP; a third tip the e-mail the response names.
    lookup_actions.do_set_rdap_enabled(True, actor=personas.admin)
    cable = lookup_actions.do_create_provider(
        actor=maria,
        name="Example Cable",
        legal_contact="Legal Compliance",
        address="1 Main Street\nSpringfield",
        legal_email="subpoenas@cable.example",
    )
    lookup_actions.do_add_mapping(cable, "rdap_handle", HANDLE, actor=maria)
    mail = lookup_actions.do_create_provider(
        actor=maria,
        name="Example Mail",
        kind="email",
        legal_contact="Law Enforcement Response",
        legal_email="lers@mail.example",
    )
    lookup_actions.do_add_mapping(mail, "email_domain", "mail.example", actor=maria)
    Office.objects.create(code="newark", name="HSI Newark", kind=Office.Kind.FIELD_OFFICE)
    Office.objects.create(code="buffalo", name="HSI Buffalo", kind=Office.Kind.FIELD_OFFICE)
    agency_key = pyrage.x25519.Identity.generate()
    Office.objects.create(
        code="bka",
        name="Bundeskriminalamt",
        kind=Office.Kind.FOREIGN_POLICE,
        age_recipient=str(agency_key.to_public()),
    )
    do_grant_share(ivan, actor=maria, reason="BKA liaison for case BKA-41-2026")
    Source.objects.create(
        name="Bundeskriminalamt (demo)", kind=Source.Kind.FOREIGN_POLICE, country="DE"
    )
    ncmec = Source.objects.create(name="NCMEC (demo)", kind=Source.Kind.NCMEC, country="US")
    earlier = timezone.now() - dt.timedelta(days=75)
    tip_actions.do_create_tip(
        actor=ivan,
        source=ncmec,
        source_reference="CT-88410",
        received_at=earlier,
        narrative="Upload from a residential connection.",
        selectors=[tip_actions.SelectorInput("ip", IP)],
    )
    tip_actions.do_create_tip(
        actor=ivan,
        source=ncmec,
        source_reference="CT-90233",
        received_at=earlier,
        narrative="Account registered with a webmail address.",
        selectors=[tip_actions.SelectorInput("email", EMAIL)],
    )

    # 1. The analyst imports the agency's file: one tip per IP, one IP matches the older tip.
    ips = tmp_path / "bka-ips.txt"
    ips.write_text(IPS)
    login(page, live_server, ivan)
    page.goto(f"{url}/tips/import/")
    page.set_input_files("input[name=file]", str(ips))
    page.select_option("select[name=source]", label="Bundeskriminalamt (demo)")
    page.fill("textarea[name=note]", "IP addresses seen uploading, shared by the BKA.")
    guide_shot(page, "intake-import-form")
    # The test's task backend imports while the page waits: not bound to the click's 30 s.
    page.click("[data-testid=import-form] button:has-text('Import')", no_wait_after=True)
    page.wait_for_selector("[data-testid=import-summary]", timeout=120000)
    assert page.inner_text("[data-testid=tips-created]") == "3"
    assert "Flags raised\t1" in page.inner_text("[data-testid=import-summary]")
    guide_shot(page, "intake-import-summary")

    # 2. The flag: the analyst opens the imported tip from the flags page and links.
    page.goto(f"{url}/deconfliction/flags/")
    row = page.locator("[data-testid=flag-row]", has_text=IP)
    assert "CT-88410" in row.inner_text()
    guide_shot(page, "flags-list")
    row.locator("a:has-text('bka-ips')").click()
    page.wait_for_selector("[data-testid=flag-row]")
    new_tip = int(re.search(r"/deconfliction/tip/(\d+)/", page.url).group(1))
    tip_url = f"{url}/tips/{new_tip}/"
    # The imported tips are nobody's yet: the analyst takes this one.
    page.goto(tip_url)
    page.click("button:has-text('Take this tip')")
    page.wait_for_selector(f"[data-testid=assignee]:has-text('{ivan.username}')")
    page.goto(f"{url}/deconfliction/tip/{new_tip}/")
    flag = page.locator("[data-testid=flag-row]", has_text=IP)
    flag.locator("textarea[name=note]").fill("Same residential IP in both reports, a day apart")
    guide_shot(page, "flags-decide", focus="[data-testid=flag-row]")
    flag.locator("button[data-action=link]").click()
    page.wait_for_selector("[data-testid=flag-row].flag-linked")

    # 3. Look-up of the IP's owner, from the tip page.
    _panels(page, tip_url)
    page.click("[data-testid=rdap-button]")
    page.wait_for_selector(f"[data-testid=rdap-cell]:has-text('{HANDLE}')", timeout=60000)
    assert "Example Cable" in page.inner_text("[data-testid=proposed-provider]")
    guide_shot(page, "lookups-rdap", focus="[data-testid=lookups-panel]")

    # 4. The subpoena: drafted by the analyst, approved by the Manager, served.
    page.wait_for_selector("[data-testid=draft-form]")
    draft = page.locator("[data-testid=draft-form]")
    assert draft.locator("select[name=provider]").input_value() == str(cable.pk)
    draft.locator("select[name=time_zone]").select_option("Europe/Berlin")
    draft.locator("input[value=subscriber_number]").check()
    guide_shot(page, "subpoena-draft-form", focus="[data-testid=draft-form]")
    page.click("[data-testid=draft-button]")
    page.wait_for_selector("[data-testid=status]:has-text('Drafted')")
    first_sub = page.url

    _sign_in(page, live_server, maria)
    page.goto(first_sub)
    page.click("[data-testid=approve]")
    page.wait_for_selector("[data-testid=status]:has-text('Approved')")
    _sign_in(page, live_server, ivan)
    page.goto(first_sub)
    page.click("[data-testid=serve]")
    page.wait_for_selector("[data-testid=status]:has-text('Served')")

    # 5. The provider answers; the response's e-mail flags the third tip.
    form = page.locator("[data-testid=response-form]")
    form.locator("select[name=outcome]").select_option("response_received")
    form.locator("input[name=subscriber_name]").fill("Pat Subscriber")
    form.locator("textarea[name=emails]").fill(EMAIL)
    form.locator("textarea[name=sessions]").fill(f"2026-11-28 14:00:00 UTC login {IP}")
    page.click("[data-testid=record-response]")
    page.wait_for_selector("[data-testid=status]:has-text('Response received')")
    assert "1 flag raised" in page.inner_text("body")
    guide_shot(page, "subpoena-response")

    page.goto(f"{url}/deconfliction/tip/{new_tip}/")
    flag = page.locator("[data-testid=flag-row]", has_text=EMAIL)
    assert "CT-90233" in flag.inner_text()
    flag.locator("textarea[name=note]").fill("The subscriber's mailbox registered CT-90233")
    flag.locator("button[data-action=link]").click()
    page.wait_for_selector(f"[data-testid=flag-row].flag-linked:has-text('{EMAIL}')")
    page.click("[data-testid=cluster-link]")
    page.wait_for_selector("#cluster-graph[data-ready=true] canvas")
    assert page.locator("[data-testid=cluster-row]").count() == 3
    guide_shot(page, "flags-cluster")

    # 6. A second subpoena, to the e-mail provider the response named.
    _panels(page, tip_url)
    draft = page.locator("[data-testid=draft-form]")
    if not draft.is_visible():
        page.click("[data-testid=subpoenas-panel] details > summary")
    draft.locator("label", has_text=IP).locator("input[name=identifiers]").uncheck()
    draft.locator("label", has_text=EMAIL).locator("input[name=identifiers]").check()
    draft.locator("select[name=provider]").select_option(label="Example Mail")
    page.click("[data-testid=draft-button]")
    page.wait_for_selector("[data-testid=status]:has-text('Drafted')")
    assert "Example Mail" in page.inner_text("body")
    second_sub = page.url
    _sign_in(page, live_server, maria)
    page.goto(second_sub)
    page.click("[data-testid=approve]")
    page.wait_for_selector("[data-testid=status]:has-text('Approved')")
    _sign_in(page, live_server, ivan)
    page.goto(second_sub)
    page.click("[data-testid=serve]")
    page.wait_for_selector("[data-testid=status]:has-text('Served')")

    # 7. The cluster is referred to a field office, which opens a case.
    _panels(page, tip_url)
    assert page.locator("[data-testid=subpoena-row]").count() == 2
    guide_shot(page, "subpoenas-panel", focus="[data-testid=subpoenas-panel]")
    page.locator("[data-testid=referrals-panel] [data-testid=refer-cluster]").click()
    page.select_option("select[name=office]", label="HSI Newark")
    page.fill("textarea[name=note]", "Subscriber identified at a Newark address")
    guide_shot(page, "referral-create")
    page.click("[data-testid=referral-save]")
    page.fill("input[name=method]", "case system")
    page.click("[data-testid=referral-send]")
    page.wait_for_selector("[data-testid=referral-status]:has-text('Sent')")
    page.fill("input[name=case_number]", CASE)
    page.click("[data-testid=referral-open-case]")
    page.wait_for_selector("[data-testid=referral-status]:has-text('Case opened')")
    assert "3" in page.inner_text("h2:has-text('Tips (')")
    guide_shot(page, "referral-case-opened")

    # ... and the agency that sent the list gets the IP list back, encrypted to its key.
    _panels(page, tip_url)
    page.locator("[data-testid=share-tip]").click()
    page.select_option("select[name=office]", label="Bundeskriminalamt")
    page.select_option("select[name=kind]", "ip_list")
    page.select_option("select[name=method]", "age")
    page.fill("input[name=purpose]", "Subscriber identified; the other IPs for the BKA's case")
    guide_shot(page, "share-form")
    page.click("[data-testid=share-save]")
    with page.expect_download() as info:
        page.click("[data-testid=share-download]")
    package = packages.open_age(open(info.value.path(), "rb").read(), str(agency_key))
    assert IP.encode() in b"".join(package.values())
    page.goto(f"{url}/referrals/disclosures/")
    assert "Bundeskriminalamt" in page.inner_text("[data-testid=disclosures]")
    guide_shot(page, "disclosures")

    # 8. Later, another analyst's new tip shares the e-mail; linked, it is proposed for Newark.
    _sign_in(page, live_server, olga)
    page.goto(f"{url}/tips/new/")
    page.select_option("select[name=source]", label="NCMEC (demo)")
    page.fill("input[name=source_reference]", "CT-93005")
    page.fill("[data-testid=narrative]", "New account, same webmail address.")
    page.fill(".tips-selector-row input[name=sel_value]", EMAIL)
    page.select_option(".tips-selector-row select[name=sel_type]", "email")
    page.click("button:has-text('Create tip')")
    page.wait_for_selector("[data-testid=selectors]")
    fourth = int(re.search(r"/tips/(\d+)/", page.url).group(1))
    page.goto(f"{url}/deconfliction/tip/{fourth}/")
    flag = page.locator("[data-testid=flag-row]", has_text=EMAIL)
    flag.locator("textarea[name=note]").fill("Same webmail address as the referred cluster")
    flag.locator("button[data-action=link]").click()
    page.wait_for_selector("[data-testid=flag-row].flag-linked")
    _panels(page, f"{url}/tips/{fourth}/")
    proposal = page.inner_text("[data-testid=same-office-proposal]")
    assert "HSI Newark" in proposal and CASE in proposal
    guide_shot(page, "referral-same-office", focus="[data-testid=referrals-panel]")

    # ... and the analyst of the referred tips is told.
    _sign_in(page, live_server, ivan)
    page.goto(f"{url}/messages/")
    page.wait_for_selector("text=New tip(s) linked to referred tip")
    guide_shot(page, "referral-notified")

    # 9. The month's statistics (from the older tips' month on).
    _sign_in(page, live_server, maria)
    month = timezone.now().strftime("%Y-%m")
    page.goto(f"{url}/stats/?from={earlier:%Y-%m}&to={month}")
    page.wait_for_selector("svg.chart")
    guide_shot(page, "statistics")

    def this_month(slug):
        row = page.locator(f"[data-testid=figure-{slug}] tbody tr", has_text=month)
        return row.locator("td").last.inner_text()

    assert this_month("tips-received") == "4"  # three from the list, the fourth tip
    assert this_month("ip-addresses-received") == "3"
    assert this_month("flags-linked") == "4"  # the fourth tip is linked to two
    assert this_month("subpoenas-issued") == "2"
    assert this_month("referrals-sent") == "1"
    assert this_month("cases-opened") == "1"
    assert [e for e in errors if "Failed to load resource" not in e] == []
