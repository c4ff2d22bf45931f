"""Every victim-identification view, run as every persona."""

from __future__ import annotations

import io
import itertools

import pytest
from django.urls import reverse

from vigil.testing.roles import check_roles
from vigil.victimid.models import MatchRequest

from .conftest import pattern

READ = {
    "anonymous": 302,
    "reader": 200,
    "other_investigator": 200,
    "investigator": 200,
    "manager": 200,
    "admin": 403,
}
READ_OBJ = {**READ, "admin": 404}
CREATE = {**READ, "reader": 403}
WRITE_OBJ = {**READ_OBJ, "reader": 403}
_counter = itertools.count()


@pytest.fixture
def world(series_factory, personas):
    series, (media,) = series_factory("Patterns", files=[("p.jpg", pattern(3))])
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
    for name, args, expect, audit in [
        ("victimid-series-list", [], READ, None),
        ("victimid-series-detail", [series.pk], READ_OBJ, None),
        ("victimid-media-thumb", [media.pk], READ_OBJ, None),
        ("victimid-request-list", [], READ, None),
        ("victimid-request-detail", [mr.pk], READ_OBJ, "matchrequest.view"),
        ("victimid-request-progress", [mr.pk], READ_OBJ, None),
        ("victimid-request-report-json", [mr.pk], READ_OBJ, "matchrequest.view"),
        ("victimid-request-report-pdf", [mr.pk], READ_OBJ, "matchrequest.view"),
    ]:
        check_roles(
            client, personas, "get", reverse(name, args=args), expect=expect, audit_action=audit
        )


def test_it_guards_the_reveal(client, personas, world):
    _, media, _ = world
    check_roles(
        client,
        personas,
        "post",
        reverse("victimid-media-reveal", args=[media.pk]),
        expect=READ_OBJ,
        audit_action="media.reveal",
    )


def test_it_guards_the_forms(client, personas, world):
    series, _, _ = world
    check_roles(client, personas, "get", reverse("victimid-series-create"), expect=CREATE)
    check_roles(client, personas, "get", reverse("victimid-request-create"), expect=CREATE)
    check_roles(
        client, personas, "get", reverse("victimid-series-edit", args=[series.pk]), expect=WRITE_OBJ
    )


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
        expect={**CREATE, "investigator": 302, "other_investigator": 302, "manager": 302},
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
        expect={**WRITE_OBJ, "investigator": 302, "other_investigator": 302, "manager": 302},
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
        expect={**WRITE_OBJ, "investigator": 302, "other_investigator": 302, "manager": 302},
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
        expect={**CREATE, "investigator": 302, "other_investigator": 302, "manager": 302},
        audit_action="matchrequest.create",
    )
    check_roles(
        client,
        personas,
        "post",
        reverse("victimid-request-export", args=[mr.pk]),
        expect=WRITE_OBJ,
        audit_action="matchrequest.export",
    )


def test_it_guards_the_api(client, personas):
    url = reverse("victimid-api-series")
    api_read = {**READ, "anonymous": 401}
    check_roles(client, personas, "get", url, expect=api_read)
    check_roles(
        client,
        personas,
        "post",
        url,
        data=lambda: {"name": f"API {next(_counter)}"},
        content_type="application/json",
        expect={
            **api_read,
            "reader": 403,
            "investigator": 201,
            "other_investigator": 201,
            "manager": 201,
        },
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

    expect = {
        "anonymous": 302,
        "reader": 403,
        "other_investigator": 403,
        "investigator": 403,
        "manager": 302,
        "admin": 404,
    }
    for role, status in expect.items():
        series, (m,) = series_factory(f"To delete {role}", files=[("p.jpg", pattern(7))])
        client.logout()
        if role != "anonymous":
            client.force_login(getattr(personas, role))
        response = client.post(reverse("victimid-series-delete", args=[series.pk]))
        assert response.status_code == status, role
        assert Series.objects.filter(pk=series.pk).exists() == (
            status != 302 or role == "anonymous"
        )
    assert AuditEvent.objects.filter(action="series.delete", actor=personas.manager).count() == 1
    assert not Media.objects.filter(series__name="To delete manager").exists()
