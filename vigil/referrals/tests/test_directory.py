"""The directory: CSV load (example file shipped), Manager-managed pages, audited."""

import io
from pathlib import Path

import pyrage
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from vigil.audit.models import AuditEvent
from vigil.referrals import actions, directory
from vigil.referrals.models import Area, Office
from vigil.testing.roles import check_roles

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "directory.example.csv"
HEADER = "code,name,kind,areas,contact_name,contact_email,contact_phone,address,age_recipient,notes,active\n"


def test_it_loads_the_example_file(personas):
    out = io.StringIO()
    call_command("load_directory", str(EXAMPLE), "--user", personas.manager.username, stdout=out)
    assert "created" in out.getvalue()
    ny = Office.objects.get(code="newyork")
    assert {a.county for a in ny.areas.all()} == {
        "new york",
        "kings",
        "queens",
        "bronx",
        "richmond",
    }
    assert Office.objects.get(code="berlin-attache").kind == Office.Kind.ATTACHE
    assert Area.objects.filter(office__code="sanjuan", state="PR").exists()
    assert AuditEvent.objects.filter(action="directory.create").count() == Office.objects.count()
    # Loading again updates in place.
    call_command("load_directory", str(EXAMPLE), "--user", personas.manager.username, stdout=out)
    assert "0 created" in out.getvalue().splitlines()[-1]


def test_it_refuses_a_bad_file_whole_and_changes_nothing(personas):
    text = HEADER + (
        "ok,OK office,field_office,US-NJ,,,,,,,yes\n"
        "bad,Bad,field_office,US-XX,,,,,,,yes\n"
        "worse,,nonsense,DE,,not-an-email,,,age1nope,,maybe\n"
    )
    result = directory.load(text, actor=personas.manager)
    assert len(result.errors) == 2 and not Office.objects.exists()
    assert any("line 3" in e and "US-XX" in e for e in result.errors)
    assert directory.load("name\nx\n", actor=personas.manager).errors


def test_it_loads_only_as_a_manager(personas, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text(HEADER + "ok,OK,field_office,US-NJ,,,,,,,yes\n")
    with pytest.raises(CommandError, match="Managers"):
        call_command("load_directory", str(path), "--user", personas.investigator.username)
    with pytest.raises(CommandError, match="--user"):
        call_command("load_directory", str(path))
    with pytest.raises(CommandError, match="no such file"):
        call_command("load_directory", str(tmp_path / "none.csv"), "--user", "maria")
    assert not Office.objects.exists()


def test_it_checks_the_age_key(personas):
    key = str(pyrage.x25519.Identity.generate().to_public())
    office = actions.do_save_office(
        None, actor=personas.manager, code="bka", name="BKA", kind="foreign_police",
        age_recipient=key, areas="DE",
    )  # fmt: skip
    assert office.age_recipient == key
    with pytest.raises(ValidationError):
        actions.do_save_office(office, actor=personas.manager, age_recipient="age1garbage")
    with pytest.raises(PermissionDenied):
        actions.do_save_office(office, actor=personas.investigator, name="x")
    with pytest.raises(ValidationError):
        actions.do_save_office(office, actor=personas.manager, areas="Germany")


def test_it_guards_the_directory_pages(client, personas, directory):
    check_roles(client, personas, "get", reverse("referrals-directory"))
    office = directory["newark"]
    check_roles(client, personas, "get", reverse("referrals-office", args=[office.pk]))
    check_roles(
        client,
        personas,
        "post",
        reverse("referrals-office", args=[office.pk]),
        data=lambda: {
            "code": "newark",
            "name": f"HSI Newark {AuditEvent.objects.count()}",
            "kind": "field_office",
            "areas": "US-NJ",
            "active": "on",
        },
        audit_action="directory.update",
    )
    check_roles(client, personas, "get", reverse("referrals-office-create"))
    check_roles(
        client,
        personas,
        "post",
        reverse("referrals-office-create"),
        data=lambda: {
            "code": f"x{AuditEvent.objects.count()}",
            "name": "X",
            "kind": "icac",
            "areas": "US-NY",
        },
        audit_action="directory.create",
    )


def test_it_shows_a_form_error_for_bad_areas(client, personas, directory):
    client.force_login(personas.manager)
    office = directory["newark"]
    response = client.post(
        reverse("referrals-office", args=[office.pk]),
        {"code": "newark", "name": "N", "kind": "field_office", "areas": "US-ZZ"},
    )
    assert response.status_code == 200 and b"US-ZZ" in response.content
    assert office.area_codes == "US-NJ"


def test_it_loads_the_demo_directory_once(personas):
    from vigil.referrals import demo

    assert "offices" in demo.load(personas.manager)
    assert demo.load(personas.manager) == ""
