"""The journey of the issue in a real browser: look-up, draft, PDF, approve, serve, response, flag."""

import datetime as dt
import os
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from vigil.lookups import actions as lookup_actions
from vigil.testing.browser import collect_console_errors, login, open_tip_page
from vigil.tips import actions as tip_actions
from vigil.tips.models import Source

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("VIGIL_DATA_DIR", "var/test")) / "screenshots"


def test_it_goes_from_a_tip_with_an_ip_to_a_flag_raised_by_the_response(
    page, live_server, personas, rdap_registry, tmp_path
):
    errors = collect_console_errors(page)
    bad = []
    page.on("response", lambda r: bad.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    lookup_actions.do_set_rdap_enabled(True, actor=personas.admin)
    provider = lookup_actions.do_create_provider(
        actor=personas.manager,
        name="Example Cable",
        legal_contact="Legal Compliance",
        address="1 Main Street\nSpringfield",
        legal_email="subpoenas@cable.example",
    )
    lookup_actions.do_add_mapping(provider, "rdap_handle", "GOGL", actor=personas.manager)
    src = Source.objects.create(name="Field Office Alpha", country="US")
    seen = dt.datetime(2026, 11, 3, 14, 22, 5, tzinfo=dt.UTC)
    tip = tip_actions.do_create_tip(
        actor=personas.manager,
        source=src,
        source_reference="FOA-17",
        narrative="CANARYNARRATIVE",
        selectors=[tip_actions.SelectorInput("ip", "74.125.225.229", observed_at=seen)],
    )
    tip_actions.do_assign_tip(tip, personas.investigator, actor=personas.manager)
    other = tip_actions.do_create_tip(
        actor=personas.manager,
        source=src,
        source_reference="FOA-99",
        selectors=[tip_actions.SelectorInput("email", "pat.subscriber@mail.example")],
    )

    # The offline range database (air-gapped look-up) knows the network too.
    ranges_file = tmp_path / "ip2asn.tsv"
    ranges_file.write_text("74.125.0.0\t74.125.255.255\t15169\tUS\tGOOGLE\n")
    call_command("import_ranges", str(ranges_file), "--json", stdout=StringIO())

    # 1. The investigator runs the look-up from the tip page.
    login(page, live_server, personas.investigator)
    page.goto(f"{live_server.url}/tips/{tip.pk}/")
    page.wait_for_selector("[data-testid=rdap-button]")
    offline = page.inner_text("[data-testid=lookup-row]")
    assert "AS15169" in offline and "GOOGLE" in offline and "74.125.0.0" in offline
    page.click("[data-testid=rdap-button]")
    page.wait_for_selector("[data-testid=rdap-cell]:has-text('GOGL')", timeout=60000)
    assert "arin-contact@google.com" in page.inner_text("[data-testid=rdap-cell]")
    assert "Example Cable" in page.inner_text("[data-testid=proposed-provider]")
    assert [r.path for r in rdap_registry.requests] == ["/rdap/ip/74.125.225.229"]

    # 2. Draft a subpoena: the provider is proposed, the IP with its time is picked.
    page.wait_for_selector("[data-testid=draft-form]")
    assert page.locator("[data-testid=draft-form] select[name=provider]").input_value() == str(
        provider.pk
    )
    page.select_option("[data-testid=draft-form] select[name=time_zone]", "America/New_York")
    page.check("[data-testid=draft-form] input[value=subscriber_number]")
    page.click("[data-testid=draft-button]")
    page.wait_for_selector("[data-testid=status]:has-text('Drafted')")
    # No ORM query from the test thread while the page is live: on SQLite the live server
    # shares this thread's connection, and a concurrent request would collide with it.
    sub_pk = int(page.url.rstrip("/").rsplit("/", 1)[-1])
    page.screenshot(path=str(SHOTS / "subpoena-drafted.png"), full_page=True)

    # 3. Open the PDF; render its first page to a picture.
    resp = page.request.get(f"{live_server.url}/subpoenas/{sub_pk}/document.pdf")
    assert resp.status == 200 and resp.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "subpoena.pdf"
    pdf.write_bytes(resp.body())
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "74.125.225.229" in text and "CANARYNARRATIVE" not in text and "FOA-17" not in text
    SHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            str(pdf),
            str(SHOTS / "subpoena-pdf"),
        ],
        check=True,
    )
    assert list(SHOTS.glob("subpoena-pdf*.png"))

    # 4. A manager approves, marks it served and enters the response.
    page.context.clear_cookies()
    login(page, live_server, personas.manager)
    page.goto(f"{live_server.url}/subpoenas/{sub_pk}/")
    page.click("[data-testid=approve]")
    page.wait_for_selector("[data-testid=status]:has-text('Approved')")
    page.click("[data-testid=serve]")
    page.wait_for_selector("[data-testid=status]:has-text('Served')")
    page.select_option("[data-testid=response-form] select[name=outcome]", "response_received")
    page.fill("[data-testid=response-form] input[name=subscriber_name]", "Pat Subscriber")
    page.fill("[data-testid=response-form] textarea[name=emails]", "pat.subscriber@mail.example")
    page.fill(
        "[data-testid=response-form] textarea[name=sessions]",
        "2026-11-03 14:00:00 UTC login 74.125.225.229",
    )
    page.click("[data-testid=record-response]")
    page.wait_for_selector("[data-testid=status]:has-text('Response received')")
    assert "1 flag raised" in page.inner_text("body")

    # 5. The tip shows the new selectors and the flag they raise.
    open_tip_page(
        page,
        f"{live_server.url}/tips/{tip.pk}/",
        "[data-testid=flag-row]",
        "[data-testid=subpoena-row]",
    )
    assert "pat.subscriber@mail.example" in page.inner_text("[data-testid=selectors]")
    assert "Pat Subscriber" in page.inner_text("[data-testid=selectors]")
    page.wait_for_selector("[data-testid=flag-row]")
    row = page.inner_text("[data-testid=flag-row]")
    assert "pat.subscriber@mail.example" in row and other.source_reference in row
    page.wait_for_selector("[data-testid=subpoena-row]")
    assert "Response received" in page.inner_text("[data-testid=subpoena-row]")
    page.screenshot(path=str(SHOTS / "subpoena-tip.png"), full_page=True)
    # Only panel requests that collided on the shared SQLite connection may have failed.
    assert [
        e for e in errors if not e.startswith("Failed to load resource") and "htmx" not in e
    ] == []
    assert all(b.split(" ", 1)[1].split("?")[0].endswith("/panel") for b in bad), bad
