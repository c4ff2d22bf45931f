import os

import pytest

from vigil.testing.browser import collect_console_errors, login
from vigil.tips import actions
from vigil.tips.models import ImportJob, Source, Tip

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def src(db):
    return Source.objects.create(name="Field Office Alpha", kind="field_office", country="US")


def test_it_creates_a_tip_with_live_selector_proposals(page, live_server, personas, src):
    errors = collect_console_errors(page)
    login(page, live_server, personas.investigator)
    page.goto(f"{live_server.url}/tips/new/")
    page.select_option("select[name=source]", str(src.pk))
    page.fill("[data-testid=narrative]", "")
    page.type("[data-testid=narrative]", "Suspect wrote from bob[@]example.com at 203.0.113[.]5")
    page.wait_for_selector("[data-testid=proposal]:has-text('bob@example.com')", timeout=5000)
    assert page.locator("[data-testid=proposal]:has-text('203.0.113.5')").count() == 1
    page.fill(".tips-selector-row input[name=sel_value]", "+1 202 555 0143")
    page.select_option(".tips-selector-row select[name=sel_type]", "phone")
    page.click("button:has-text('Create tip')")
    page.wait_for_selector("[data-testid=proposed]")
    assert "bob@example.com" in page.inner_text("[data-testid=proposed]")
    assert "+12025550143" in page.inner_text("[data-testid=selectors]")
    assert Tip.objects.get().assigned_to == personas.investigator
    assert errors == []


def test_it_uploads_a_csv_and_shows_progress_to_completion(
    page, live_server, personas, src, tmp_path
):
    errors = collect_console_errors(page)
    csv_file = tmp_path / "tips.csv"
    csv_file.write_text(
        "reference,narrative,ip_address\nB-1,hello,203.0.113.1\nB-2,bad,999.1.1.1\n"
    )
    login(page, live_server, personas.manager)
    page.goto(f"{live_server.url}/tips/import/")
    page.set_input_files("input[name=file]", str(csv_file))
    page.select_option("select[name=source]", str(src.pk))
    page.click("button:has-text('Import')")
    page.wait_for_selector("[data-testid=import-summary]", timeout=8000)
    assert page.inner_text("[data-testid=tips-created]") == "1"
    assert "999.1.1.1" in page.inner_text("[data-testid=rejected]")
    # A job still running is polled every second until it is done.
    job = ImportJob.objects.create(
        created_by=personas.manager,
        original_name="big.csv",
        status="running",
        progress_done=40,
        progress_total=100,
    )
    page.goto(f"{live_server.url}/tips/import/{job.pk}/")
    assert page.get_attribute("progress", "value") == "40"
    ImportJob.objects.filter(pk=job.pk).update(progress_done=70)
    page.wait_for_selector("progress[value='70']", timeout=4000)
    ImportJob.objects.filter(pk=job.pk).update(
        status="done",
        summary={"rows_read": 5, "tips_created": 5, "rejected": [], "rejected_count": 0},
    )
    page.wait_for_selector("[data-testid=import-summary]", timeout=4000)
    assert page.inner_text("[data-testid=import-status]") == "Done"
    assert errors == []


def test_it_triages_and_assigns_from_the_queue(page, live_server, personas, src):
    errors = collect_console_errors(page)
    tip = actions.do_create_tip(
        actor=personas.manager, source=src, source_reference="Q-1", narrative="x"
    )
    login(page, live_server, personas.manager)
    page.goto(f"{live_server.url}/tips/")
    row = f"[data-testid=tip-row-{tip.pk}]"
    page.select_option(f"{row} select[name=status]", "unfounded")
    page.click(f"{row} button:has-text('Triage')")
    page.wait_for_selector(f"{row} [data-testid=row-error]")
    page.select_option(f"{row} select[name=status]", "unfounded")
    page.fill(f"{row} input[name=reason]", "Hoax call")
    page.click(f"{row} button:has-text('Triage')")
    page.wait_for_selector(f"{row} [data-testid=status]:has-text('Unfounded')")
    page.select_option(f"{row} select[name=assignee]", str(personas.investigator.pk))
    page.click(f"{row} button:has-text('Assign')")
    page.wait_for_selector(
        f"{row} [data-testid=assignee]:has-text('{personas.investigator.username}')"
    )
    tip.refresh_from_db()
    assert tip.status == "unfounded" and tip.assigned_to == personas.investigator
    assert errors == []


def test_it_follows_an_import_to_its_flags_and_sets_the_batchs_priority(
    page, live_server, personas, src, tmp_path
):
    """Import a file → result page → its flags → its tips (the queue by batch) → one priority."""
    errors = collect_console_errors(page)
    earlier = actions.do_create_tip(
        actor=personas.manager, source=src, source_reference="OLD-1", narrative="x"
    )
    actions.do_add_selectors(
        earlier, [actions.SelectorInput("ip", "81.2.69.142")], actor=personas.manager
    )
    csv_file = tmp_path / "batch.csv"
    csv_file.write_text(
        "reference,narrative,ip_address\nW-1,hello,81.2.69.142\nW-2,hi,81.2.69.160\n"
    )
    login(page, live_server, personas.manager)
    page.goto(f"{live_server.url}/tips/import/")
    page.set_input_files("input[name=file]", str(csv_file))
    page.select_option("select[name=source]", str(src.pk))
    page.click("button:has-text('Import')")
    page.wait_for_selector("[data-testid=import-summary]", timeout=8000)
    page.click("[data-testid=import-link]")
    page.wait_for_selector("[data-testid=batch-filter]")
    rows = page.locator("[data-testid=flag-row]")
    assert rows.count() == 1 and "81.2.69.142" in rows.inner_text()
    page.click("[data-testid=batch-filter] a:has-text('Its tips')")
    page.wait_for_selector("[data-testid=queue] [data-testid^=tip-row-]")
    queue = page.inner_text("[data-testid=queue]")
    assert "W-1" in queue and "W-2" in queue and "OLD-1" not in queue
    page.check("[data-testid=bulk-scope-filter]")
    page.select_option("[data-testid=bulk-priority]", "1")
    page.click("[data-testid=bulk-set-priority]")
    page.wait_for_selector(".flash:has-text('2 tips given the new priority.')")
    assert page.locator("[data-testid=batch-filter]").count() == 1  # still the batch
    job = ImportJob.objects.get()
    assert set(Tip.objects.filter(import_job=job).values_list("priority", flat=True)) == {1}
    assert Tip.objects.get(pk=earlier.pk).priority == 5
    assert errors == []
