"""Role matrix of every lookups page, and what the tip panel shows."""

import pytest
from django.urls import reverse
from django.utils import timezone

from vigil.lookups import actions
from vigil.lookups.models import Provider
from vigil.testing.roles import check_roles
from vigil.tips import actions as tip_actions
from vigil.tips.models import Source


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture
def tip(personas):
    src = Source.objects.create(name="Field Office Alpha", country="US")
    t = tip_actions.do_create_tip(
        actor=personas.manager,
        source=src,
        source_reference="FOA-9",
        narrative="",
        selectors=[
            tip_actions.SelectorInput("ip", "8.8.8.8", observed_at=timezone.now()),
            tip_actions.SelectorInput("email", "someone@cable.example"),
        ],
    )
    tip_actions.do_assign_tip(t, personas.investigator, actor=personas.manager)
    return t


@pytest.fixture
def provider(personas):
    p = actions.do_create_provider(actor=personas.manager, name="Example Cable")
    actions.do_add_mapping(p, "email_domain", "cable.example", actor=personas.manager)
    actions.do_add_mapping(p, "asn", "15169", actor=personas.manager)
    return p


def test_it_guards_the_tip_panel(client, personas, tip, provider):
    from io import StringIO
    from pathlib import Path

    from django.core.management import call_command

    call_command(
        "import_ranges",
        str(
            Path(__file__).resolve().parents[2]
            / "testing"
            / "data"
            / "conformance"
            / "ip2asn"
            / "ip2asn-small.tsv"
        ),
        stdout=StringIO(),
    )
    check_roles(
        client,
        personas,
        "get",
        reverse("lookups-tip-panel", args=[tip.pk]),
        audit_action="lookups.list",
    )
    client.force_login(personas.reader)
    html = client.get(reverse("lookups-tip-panel", args=[tip.pk])).content.decode()
    assert "AS15169" in html and "GOOGLE" in html and "Example Cable" in html
    assert "RDAP look-ups are off" not in html  # readers cannot run them anyway
    client.force_login(personas.investigator)
    assert (
        "RDAP look-ups are off"
        in client.get(reverse("lookups-tip-panel", args=[tip.pk])).content.decode()
    )


def test_it_guards_the_rdap_button(client, personas, tip):
    # RDAP is off: the look-up is refused with a message, never a request.
    check_roles(client, personas, "post", reverse("lookups-tip-rdap", args=[tip.pk]))


def test_it_guards_the_settings_page(client, personas):
    check_roles(
        client,
        personas,
        "get",
        reverse("lookups-settings"),
        audit_action="lookups.settings_view",
    )
    check_roles(
        client,
        personas,
        "post",
        reverse("lookups-settings"),
        data={"rdap_enabled": "1"},
        audit_action="lookups.rdap_settings",
    )


def test_it_guards_the_provider_pages(client, personas, provider):
    check_roles(
        client,
        personas,
        "get",
        reverse("lookups-providers"),
        audit_action="lookups.provider_list",
    )
    check_roles(client, personas, "get", reverse("lookups-provider-new"))
    check_roles(client, personas, "get", reverse("lookups-provider-import"))
    check_roles(client, personas, "get", reverse("lookups-provider-edit", args=[provider.pk]))
    names = iter(range(100))
    check_roles(
        client,
        personas,
        "post",
        reverse("lookups-provider-new"),
        data=lambda: {"name": f"New {next(names)}", "kind": "isp", "service_method": "email"},
        audit_action="lookups.provider_create",
    )
    notes = iter(range(100))
    check_roles(
        client,
        personas,
        "post",
        reverse("lookups-provider-edit", args=[provider.pk]),
        data=lambda: {
            "name": "Example Cable",
            "kind": "isp",
            "service_method": "fax",
            "notes": f"n{next(notes)}",
        },
        audit_action="lookups.provider_update",
    )
    values = iter(range(64600, 64700))
    check_roles(
        client,
        personas,
        "post",
        reverse("lookups-mapping-add", args=[provider.pk]),
        data=lambda: {"kind": "asn", "value": str(next(values))},
        audit_action="lookups.provider_mapping_add",
    )


def test_it_guards_delete_and_import(client, personas):
    def fresh():
        Provider.objects.update_or_create(pk=999, defaults={"name": "Doomed"})

    check_roles(
        client,
        personas,
        "post",
        reverse("lookups-provider-delete", args=[999]),
        setup=fresh,
        audit_action="lookups.provider_delete",
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    check_roles(
        client,
        personas,
        "post",
        reverse("lookups-provider-import"),
        data=lambda: {"file": SimpleUploadedFile("p.csv", b"name,kind\nImported,isp\n")},
        audit_action="lookups.provider_import",
    )


def test_it_shows_a_bad_import_and_keeps_the_directory(client, personas):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(personas.manager)
    r = client.post(
        reverse("lookups-provider-import"),
        {"file": SimpleUploadedFile("p.csv", b"name,kind\nA,isp\nB,bogus\n")},
        follow=True,
    )
    assert "Nothing was imported" in r.content.decode() and "line 3" in r.content.decode()
    assert not Provider.objects.exists()


def test_it_guards_removing_a_mapping(client, personas, provider):
    from vigil.lookups.models import ProviderMapping

    def fresh():
        ProviderMapping.objects.update_or_create(
            pk=777, defaults={"provider": provider, "kind": "asn", "value": "64999"}
        )

    check_roles(
        client,
        personas,
        "post",
        reverse("lookups-mapping-remove", args=[provider.pk, 777]),
        setup=fresh,
        audit_action="lookups.provider_mapping_remove",
    )


def test_it_links_a_provider_only_for_those_who_may_edit_it(client, personas, provider):
    """The directory's names open the edit page, which only a Manager (or an administrator)
    may reach: readers and investigators see the names, not a link that answers 403."""
    edit = reverse("lookups-provider-edit", args=[provider.pk])
    for user, linked in (
        (personas.reader, False),
        (personas.investigator, False),
        (personas.manager, True),
    ):
        client.force_login(user)
        html = client.get(reverse("lookups-providers")).content.decode()
        assert provider.name in html
        assert (f'href="{edit}"' in html) is linked, user.username
