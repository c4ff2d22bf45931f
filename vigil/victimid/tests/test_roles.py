"""Every victim-identification view, run as every persona."""

from __future__ import annotations

import io
import itertools
import zipfile

import pytest
from django.urls import reverse

from vigil.testing.roles import ROLES, check_roles
from vigil.victimid.models import MatchRequest

from .conftest import pattern

_counter = itertools.count()


@pytest.fixture
def world(series_factory, personas):
    # Created by `investigator`: its creator and the Managers change it.
    series, (media,) = series_factory(
        "Patterns", files=[("p.jpg", pattern(3))], actor=personas.investigator
    )
    mr = MatchRequest.objects.create(
        requesting_agency="Agency",
        case_number="C-1",
        status="done",
        total=0,
        submitted_by=personas.investigator,
        summary={"items": 0},
    )
    return series, media, mr


def test_it_guards_the_read_pages(client, personas, world):
    series, media, mr = world
    for name, args, audit in [
        ("victimid-series-list", [], None),
        ("victimid-series-detail", [series.pk], None),
        ("victimid-media-thumb", [media.pk], None),
        ("victimid-request-list", [], None),
        ("victimid-request-detail", [mr.pk], "matchrequest.view"),
        ("victimid-request-progress", [mr.pk], None),
        ("victimid-request-report-json", [mr.pk], "matchrequest.view"),
        ("victimid-request-report-pdf", [mr.pk], "matchrequest.view"),
    ]:
        check_roles(client, personas, "get", reverse(name, args=args), audit_action=audit)


def test_it_guards_the_reveal(client, personas, world):
    _, media, _ = world
    check_roles(
        client,
        personas,
        "post",
        reverse("victimid-media-reveal", args=[media.pk]),
        audit_action="media.reveal",
    )


def test_it_guards_the_forms(client, personas, world):
    series, _, _ = world
    check_roles(client, personas, "get", reverse("victimid-series-create"))
    check_roles(client, personas, "get", reverse("victimid-request-create"))
    check_roles(client, personas, "get", reverse("victimid-series-edit", args=[series.pk]))


def test_it_guards_creating_and_editing_series(client, personas, world):
    series, _, _ = world
    check_roles(
        client,
        personas,
        "post",
        reverse("victimid-series-create"),
        data=lambda: {
            "name": f"S{next(_counter)}",
            "victim_age_range": "unknown",
            "relationship_to_offender": "unknown",
        },
        audit_action="series.create",
    )
    check_roles(
        client,
        personas,
        "post",
        reverse("victimid-series-edit", args=[series.pk]),
        data=lambda: {
            "name": "Patterns",
            "notes": f"note {next(_counter)}",
            "victim_age_range": "unknown",
            "relationship_to_offender": "unknown",
        },
        audit_action="series.update",
    )


def test_it_guards_adding_media(client, personas, world):
    series, _, _ = world

    def data():
        f = io.BytesIO(pattern(100 + next(_counter)))
        f.name = "new.jpg"
        return {"files": [f]}

    check_roles(
        client,
        personas,
        "post",
        reverse("victimid-series-add-media", args=[series.pk]),
        data=data,
        audit_action="media.add",
    )


def test_it_guards_match_requests_and_exports(client, personas, world):
    _, _, mr = world

    def data():
        f = io.BytesIO(b"md5\n" + b"a" * 32 + b"\n")
        f.name = "h.csv"
        return {"requesting_agency": "A", "case_number": str(next(_counter)), "hash_list": f}

    check_roles(
        client,
        personas,
        "post",
        reverse("victimid-request-create"),
        data=data,
        audit_action="matchrequest.create",
    )
    check_roles(
        client,
        personas,
        "post",
        reverse("victimid-request-export", args=[mr.pk]),
        audit_action="matchrequest.export",
    )


def test_it_guards_the_api(client, personas):
    url = reverse("victimid-api-series")
    check_roles(client, personas, "get", url)
    check_roles(
        client,
        personas,
        "post",
        url,
        data=lambda: {"name": f"API {next(_counter)}"},
        content_type="application/json",
        audit_action="series.create",
    )


def test_it_shows_a_dashboard_panel_to_data_roles_only(client, personas, world):
    client.force_login(personas.reader)
    assert "Victim identification" in client.get(reverse("core-dashboard")).content.decode()
    client.force_login(personas.admin)
    assert "Victim identification" not in client.get(reverse("core-dashboard")).content.decode()


def test_it_lets_only_managers_delete_a_series(client, personas, series_factory):
    from vigil.audit.models import AuditEvent
    from vigil.victimid.models import Media, Series

    made = []

    def fresh_series_url():
        series, _ = series_factory(f"To delete {len(made)}", files=[("p.jpg", pattern(7))])
        made.append(series.pk)
        return reverse("victimid-series-delete", args=[series.pk])

    check_roles(client, personas, "post", fresh_series_url, audit_action="series.delete")
    deleted = made[ROLES.index("manager")]
    assert [pk for pk in made if not Series.objects.filter(pk=pk).exists()] == [deleted]
    assert AuditEvent.objects.filter(action="series.delete", actor=personas.manager).count() == 1
    assert not Media.objects.filter(series_id=deleted).exists()


def test_it_guards_turning_new_material_into_a_series(client, personas):
    from django.test import Client

    pictures = itertools.count(40)

    def fresh_request_url():
        # A request of its own per role (new material becomes a series once).
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("new.jpg", pattern(next(pictures)))
        buf.seek(0)
        buf.name = "seized.zip"
        submitter = Client()
        submitter.force_login(personas.investigator)
        submitter.post(
            reverse("victimid-request-create"),
            {"requesting_agency": "Harbour Police (demo)", "case_number": "HP-8", "archive": buf},
        )
        return reverse("victimid-request-new-material", args=[MatchRequest.objects.latest("id").pk])

    check_roles(
        client,
        personas,
        "post",
        fresh_request_url,
        data=lambda: {"item": [1], "name": f"New {next(_counter)}"},
        audit_action="matchrequest.new_material",
    )


def test_it_serves_the_export_package_to_the_session_that_made_it(client, personas, world):
    _, _, mr = world

    def exported_url():
        page = client.post(reverse("victimid-request-export", args=[mr.pk]))
        token = page.context["token"] if page.status_code == 200 else "none"
        return reverse("victimid-request-export-download", args=[mr.pk, token])

    check_roles(client, personas, "get", exported_url)


def test_it_lets_an_investigator_change_only_the_series_they_created(personas, series_factory):
    from django.core.exceptions import PermissionDenied

    from vigil.accounts import access
    from vigil.victimid import actions
    from vigil.victimid.models import Series

    mine, _ = series_factory("Mine", actor=personas.investigator)
    theirs, _ = series_factory("Theirs", actor=personas.other_investigator)
    shell = actions.do_create_series(actor=None, data={"name": "Imported at the shell"})
    writable = set(Series.objects.for_user(personas.investigator, access.WRITE))
    assert writable == {mine}
    assert set(Series.objects.for_user(personas.manager, access.WRITE)) == {mine, theirs, shell}
    # Everyone with a data role still reads them all.
    assert Series.objects.for_user(personas.reader).count() == 3
    with pytest.raises(PermissionDenied):
        actions.do_add_media(theirs, actor=personas.investigator, data=pattern(9), filename="x.jpg")
    assert actions.do_add_media(
        mine, actor=personas.investigator, data=pattern(9), filename="x.jpg"
    ).created
