import os

import pytest
from django.core.management import call_command

from vigil.deconfliction.models import Flag, Link
from vigil.testing.browser import collect_console_errors, login
from vigil.tips.models import Tip

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = (
    "reference,received_at,source,email,narrative\n"
    "BR-1,2026-01-05T10:00:00Z,NCMEC,John.Doe@Example.org,first report\n"
    "BR-2,2026-01-09T10:00:00Z,NCMEC,mailto:john.doe@EXAMPLE.ORG,second report\n"
)


@pytest.fixture
def two_tips(personas, tmp_path):
    """Two tips sharing an e-mail written two ways, through the real bulk import."""
    from vigil.tips.models import Source

    Source.objects.get_or_create(name="NCMEC", defaults={"kind": Source.Kind.NCMEC})
    path = tmp_path / "tips.csv"
    path.write_text(CSV)
    call_command("import_tips", str(path), "--user", personas.manager.username, "--json")
    first = Tip.objects.get(source_reference="BR-1")
    Tip.objects.filter(pk=first.pk).update(assigned_to=personas.investigator)
    assert Flag.objects.filter(type="email", value="john.doe@example.org").count() == 1
    return first


def test_it_links_a_flag_and_draws_the_cluster(page, live_server, personas, two_tips):
    errors = collect_console_errors(page)
    login(page, live_server, personas.investigator)
    page.goto(f"{live_server.url}/deconfliction/tip/{two_tips.pk}/")
    row = page.locator("[data-testid=flag-row]")
    assert "john.doe@example.org" in row.inner_text()
    assert "BR-2" in row.inner_text()
    row.locator("textarea[name=note]").fill("Same mailbox in both reports")
    row.locator("button[data-action=link]").click()
    page.wait_for_selector("[data-testid=flag-row].flag-linked")
    assert Link.objects.active().count() == 1
    page.click("[data-testid=cluster-link]")
    page.wait_for_selector("#cluster-graph[data-ready=true] canvas")
    assert page.locator("[data-testid=cluster-row]").count() == 2
    assert page.get_attribute("#cluster-graph", "data-nodes") == "3"  # two tips, one e-mail
    assert not errors, errors


def test_it_offers_a_reader_no_link_button(page, live_server, personas, two_tips):
    login(page, live_server, personas.reader)
    page.goto(f"{live_server.url}/deconfliction/tip/{two_tips.pk}/")
    page.wait_for_selector("[data-testid=flag-row]")
    assert page.locator("button[data-action=link]").count() == 0
    assert "Deciding needs an investigator" in page.inner_text("[data-testid=flag-row]")
