import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from vigil.testing.personas import api_token
from vigil.testing.roles import check_roles
from vigil.tips import actions
from vigil.tips.models import Tip


def _client(user=None):
    c = APIClient()
    if user is not None:
        token = api_token(user)
        c.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return c


def _matrix(personas, method, url, data=None, **kwargs):
    check_roles(
        APIClient(), personas, method, url, data=data, auth="token", format="json", **kwargs
    )


def test_it_guards_list_and_detail(personas, tip):
    _matrix(personas, "get", reverse("api-tips-list"))
    _matrix(personas, "get", reverse("api-tips-detail", args=[tip.pk]), audit_action="tip.view")
    body = _client(personas.reader).get(reverse("api-tips-list")).json()
    assert body["count"] == 1 and body["results"][0]["source_reference"] == "FOA-1"


def test_it_creates_with_the_same_validation(personas, source):
    c = _client(personas.investigator)
    r = c.post(
        reverse("api-tips-list"),
        {
            "source": source.name,
            "source_reference": "API-1",
            "narrative": "see 203.0.113.10",
            "selectors": [
                {"type": "email", "value": "A.B@GMAIL.com"},
                {"type": "ssn", "value": "123-45-6789"},
            ],
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    data = r.json()
    assert data["assigned_to"] == personas.investigator.username and data["received_via"] == "api"
    values = {s["type"]: s["value"] for s in data["selectors"]}
    assert (
        values["email"] == "ab@gmail.com"
        and values["ssn"] == "***-**-6789"
        and values["ip"] == "203.0.113.10"
    )
    r = c.post(
        reverse("api-tips-list"),
        {"source": source.name, "selectors": [{"type": "ip", "value": "300.1.1.1"}]},
        format="json",
    )
    assert r.status_code == 400 and "not an IPv4" in str(r.json())
    r = c.post(
        reverse("api-tips-list"),
        {"source": source.name, "source_reference": "API-1"},
        format="json",
    )
    assert r.status_code == 400
    r = c.post(reverse("api-tips-list"), {"source": "No such"}, format="json")
    assert r.status_code == 400 and "unknown source" in str(r.json())
    assert (
        _client(personas.reader)
        .post(reverse("api-tips-list"), {"source": source.name}, format="json")
        .status_code
        == 403
    )
    assert Tip.objects.count() == 1


def test_it_guards_writes(personas, tip):
    numbers = iter(range(10, 99))
    _matrix(
        personas,
        "patch",
        reverse("api-tips-detail", args=[tip.pk]),
        # A change each time: an update that changes nothing writes no row.
        lambda: {"narrative": f"updated x@example.org {next(numbers)}", "priority": 2},
        audit_action="tip.update",
    )
    assert Tip.objects.get(pk=tip.pk).priority == 2
    _matrix(
        personas,
        "post",
        reverse("api-tips-triage", args=[tip.pk]),
        {"status": "actionable"},
        audit_action="tip.triage",
    )
    r = _client(personas.manager).post(
        reverse("api-tips-triage", args=[tip.pk]), {"status": "unfounded"}, format="json"
    )
    assert r.status_code == 400
    _matrix(
        personas,
        "post",
        reverse("api-tips-selectors", args=[tip.pk]),
        lambda: {"selectors": [{"type": "phone", "value": f"+44 20 7946 09{next(numbers)}"}]},
        audit_action="tip.selectors_add",
    )
    assert tip.selectors.filter(type="phone", value__startswith="+44207946").count() == 2

    def fresh_selector_url():
        # Each call removes its selector: one per role.
        sel = actions.do_add_selectors(
            tip,
            [actions.SelectorInput("phone", f"+44 20 7946 00{next(numbers)}")],
            actor=personas.manager,
        )[0]
        return reverse("api-tips-selector-delete", args=[tip.pk, sel.pk])

    _matrix(personas, "delete", fresh_selector_url, audit_action="tip.selector_remove")


def test_the_schema_generates_without_warnings_for_tips(personas, capsys):
    from drf_spectacular.generators import SchemaGenerator

    generator = SchemaGenerator(patterns=None)
    from django.urls import include, path

    generator = SchemaGenerator(patterns=[path("api/tips/", include("vigil.tips.api_urls"))])
    schema = generator.get_schema(request=None, public=True)
    err = capsys.readouterr().err
    assert "/api/tips/{id}/triage/" in schema["paths"]
    assert "Warning" not in err and "Error" not in err, err


@pytest.mark.parametrize("path", ["/api/schema/"])
def test_the_schema_is_served(client, personas, path):
    client.force_login(personas.reader)
    assert client.get(path).status_code == 200
