"""Role matrix of every subpoena page and API endpoint."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from vigil.subpoenas import actions
from vigil.subpoenas.models import Subpoena, SubpoenaResponse
from vigil.subpoenas.tests.conftest import selector_ids
from vigil.testing.roles import MANAGER_ONLY, check_roles


@pytest.fixture
def sub(personas, tip, provider):
    return actions.do_draft_subpoena(
        tip,
        actor=personas.investigator,
        provider=provider,
        selector_ids=selector_ids(tip, "ip"),
        categories=["name", "address"],
    )


def _set(sub, status, **extra):
    def go():
        SubpoenaResponse.objects.filter(subpoena=sub).delete()
        Subpoena.objects.filter(parent=sub).delete()
        Subpoena.objects.filter(pk=sub.pk).update(status=status, **extra)

    return go


def test_it_guards_the_tip_panel_and_drafting(client, personas, tip, provider):
    check_roles(
        client,
        personas,
        "get",
        reverse("subpoenas-tip-panel", args=[tip.pk]),
        audit_action="subpoena.list",
    )
    client.force_login(personas.investigator)
    html = client.get(reverse("subpoenas-tip-panel", args=[tip.pk])).content.decode()
    assert "Proposed from the look-ups: <strong>Example Cable</strong>" in html
    check_roles(
        client,
        personas,
        "post",
        reverse("subpoenas-draft", args=[tip.pk]),
        data={
            "provider": provider.pk,
            "identifiers": selector_ids(tip, "ip"),
            "categories": ["name"],
            "time_zone": "UTC",
        },
        audit_action="subpoena.draft",
    )


def test_it_shows_a_refused_category_on_the_page_and_drafts_nothing(
    client, personas, tip, provider
):
    client.force_login(personas.investigator)
    r = client.post(
        reverse("subpoenas-draft", args=[tip.pk]),
        {
            "provider": provider.pk,
            "identifiers": selector_ids(tip, "ip"),
            "categories": ["name", "content"],
        },
        follow=True,
    )
    assert "cannot be asked for" in r.content.decode()
    assert not Subpoena.objects.exists()


def test_it_guards_the_record_and_its_document(client, personas, sub):
    check_roles(
        client,
        personas,
        "get",
        reverse("subpoenas-detail", args=[sub.pk]),
        audit_action="subpoena.view",
    )
    check_roles(
        client,
        personas,
        "get",
        reverse("subpoenas-pdf", args=[sub.pk]),
        audit_action="subpoena.render",
    )


def test_it_guards_every_transition(client, personas, sub):
    check_roles(
        client,
        personas,
        "post",
        reverse("subpoenas-approve", args=[sub.pk]),
        setup=_set(sub, "drafted"),
        audit_action="subpoena.approve",
    )
    check_roles(
        client,
        personas,
        "post",
        reverse("subpoenas-serve", args=[sub.pk]),
        setup=_set(sub, "approved"),
        data={"method": "email"},
        audit_action="subpoena.serve",
    )
    check_roles(
        client,
        personas,
        "post",
        reverse("subpoenas-respond", args=[sub.pk]),
        setup=_set(sub, "served"),
        data={"outcome": "no_records"},
        audit_action="subpoena.response",
    )
    check_roles(
        client,
        personas,
        "post",
        reverse("subpoenas-close", args=[sub.pk]),
        setup=_set(sub, "no_records"),
        audit_action="subpoena.close",
    )
    check_roles(
        client,
        personas,
        "post",
        reverse("subpoenas-contradiction", args=[sub.pk]),
        data={"note": "another subscriber"},
        audit_action="subpoena.contradiction",
    )
    check_roles(
        client,
        personas,
        "post",
        reverse("subpoenas-attach", args=[sub.pk]),
        setup=_set(sub, "response_received"),
        data=lambda: {"document": SimpleUploadedFile("answer.txt", b"records")},
        audit_action="subpoena.response_document",
    )
    check_roles(
        client,
        personas,
        "get",
        reverse("subpoenas-document", args=[sub.pk]),
        audit_action="subpoena.response_document_open",
    )


def test_it_chains_through_the_page(client, personas, sub):
    _set(sub, "served")()
    client.force_login(personas.investigator)
    r = client.post(
        reverse("subpoenas-respond", args=[sub.pk]),
        {"outcome": "not_our_customer", "entity": "Reseller Networks"},
        follow=True,
    )
    child = Subpoena.objects.get(parent=sub)
    assert r.redirect_chain[-1][0] == reverse("subpoenas-detail", args=[child.pk])
    html = r.content.decode()
    assert 'data-testid="chain"' in html and sub.reference in html and "Reseller Networks" in html


def test_it_guards_the_queue_and_the_template(client, personas, sub):
    check_roles(
        client,
        personas,
        "get",
        reverse("subpoenas-queue"),
        audit_action="subpoena.queue_view",
    )
    check_roles(client, personas, "get", reverse("subpoenas-queue") + "?overdue=1")
    check_roles(client, personas, "get", reverse("subpoenas-template"))
    from vigil.subpoenas import document

    form = {
        "body": document.DEFAULT_BODY,
        "issuing_office": "Unit",
        "return_instructions": "Return",
    }
    check_roles(
        client,
        personas,
        "post",
        reverse("subpoenas-template"),
        data=form,
        audit_action="subpoena.template_update",
    )
    check_roles(
        client,
        personas,
        "post",
        reverse("subpoenas-template"),
        data={**form, "preview": "1"},
        expect=MANAGER_ONLY,  # a preview renders the page (200), it does not redirect
        audit_action="subpoena.template_preview",
    )


def test_it_refuses_a_content_category_through_the_api(client, personas, tip, provider):
    client.force_login(personas.investigator)
    r = client.post(
        reverse("api-subpoenas"),
        {
            "tip": tip.pk,
            "provider": provider.pk,
            "identifiers": selector_ids(tip, "ip"),
            "categories": ["name", "content of communications"],
        },
        content_type="application/json",
    )
    assert r.status_code == 400
    assert "'content of communications' cannot be asked for" in r.json()["detail"][0]
    assert not Subpoena.objects.exists()
    r = client.post(
        reverse("api-subpoenas"),
        {
            "tip": tip.pk,
            "provider": provider.pk,
            "identifiers": selector_ids(tip, "ip"),
            "categories": ["name"],
        },
        content_type="application/json",
    )
    assert (
        r.status_code == 201
        and r.json()["categories"] == ["name"]
        and r.json()["status"] == "drafted"
    )


def test_it_guards_the_api(client, personas, tip, provider, sub):
    def body():
        return {
            "tip": tip.pk,
            "provider": provider.pk,
            "identifiers": selector_ids(tip, "ip"),
            "categories": ["name"],
        }

    check_roles(
        client,
        personas,
        "post",
        reverse("api-subpoenas"),
        data=body,
        content_type="application/json",
        audit_action="subpoena.draft",
    )
    check_roles(
        client,
        personas,
        "get",
        reverse("api-subpoenas"),
        audit_action="subpoena.api_list",
    )
    check_roles(
        client,
        personas,
        "get",
        reverse("api-subpoena", args=[sub.pk]),
        audit_action="subpoena.view",
    )
    check_roles(
        client,
        personas,
        "post",
        reverse("api-subpoena-approve", args=[sub.pk]),
        setup=_set(sub, "drafted"),
        audit_action="subpoena.approve",
    )


def test_it_serves_and_records_a_response_through_the_api(client, personas, sub):
    check_roles(
        client,
        personas,
        "post",
        reverse("api-subpoena-serve", args=[sub.pk]),
        setup=_set(sub, "approved"),
        data={"method": "portal"},
        content_type="application/json",
        audit_action="subpoena.serve",
    )
    check_roles(
        client,
        personas,
        "post",
        reverse("api-subpoena-response", args=[sub.pk]),
        setup=_set(sub, "served"),
        data={"outcome": "response_received", "emails": ["api.subscriber@mail.example"]},
        content_type="application/json",
        audit_action="subpoena.response",
    )
    _set(sub, "served")()
    client.force_login(personas.investigator)
    r = client.post(
        reverse("api-subpoena-response", args=[sub.pk]),
        {"outcome": "not_our_customer", "not_customer_entity": "Reseller Networks"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["chained"] == Subpoena.objects.get(parent=sub).pk
    r = client.post(
        reverse("api-subpoena-serve", args=[sub.pk]),
        {"method": "email"},
        content_type="application/json",
    )
    assert r.status_code == 400 and "this step needs it approved" in r.json()["detail"][0]


def test_it_records_a_response_csv_uploaded_on_the_page(client, personas, sub, monkeypatch):
    _set(sub, "served")()
    client.force_login(personas.investigator)
    csv = (
        b"name,email,session\n"
        b"Pat Subscriber,pat.csv@mail.example,2026-11-03 14:00:00 UTC login 203.0.113.7\n"
        b",,2026-11-03 15:10:00 UTC logout 203.0.113.7\n"
    )

    def post_csv():
        return client.post(
            reverse("subpoenas-respond", args=[sub.pk]),
            {"outcome": "response_received", "csv": SimpleUploadedFile("answer.csv", csv)},
            follow=True,
        )

    r = post_csv()
    assert "Recorded the response" in r.content.decode()
    sub.refresh_from_db()
    assert sub.status == "response_received"
    from_csv = sub.tip.selectors.filter(details__from_subpoena=sub.reference)
    assert {"pat.csv@mail.example", "pat subscriber"} <= {
        v.lower() for v in from_csv.values_list("value", flat=True)
    }
    assert sub.responses.get().sessions[1].endswith("logout 203.0.113.7")

    # A CSV over the limit is refused whole (never cut off mid-row), and nothing changes.
    _set(sub, "served")()
    monkeypatch.setattr(actions, "MAX_RESPONSE_CSV", len(csv) - 1)
    monkeypatch.setattr("vigil.subpoenas.actions.responses.MAX_RESPONSE_CSV", len(csv) - 1)
    before = sub.tip.selectors.count()
    r = post_csv()
    assert "The response CSV is larger than" in r.content.decode()
    sub.refresh_from_db()
    assert sub.status == "served" and sub.tip.selectors.count() == before


def test_it_lists_overdue_subpoenas_in_the_queue(client, personas, tip, provider, sub):
    import datetime as dt

    from django.utils import timezone

    later = actions.do_draft_subpoena(
        tip,
        actor=personas.investigator,
        provider=provider,
        selector_ids=selector_ids(tip, "email"),
        categories=["name"],
    )
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    Subpoena.objects.filter(pk=sub.pk).update(status="served", due_date=yesterday)
    Subpoena.objects.filter(pk=later.pk).update(
        status="served", due_date=timezone.localdate() + dt.timedelta(days=5)
    )
    client.force_login(personas.investigator)
    html = client.get(reverse("subpoenas-queue") + "?overdue=1").content.decode()
    assert sub.reference in html and later.reference not in html
    html = client.get(reverse("subpoenas-queue")).content.decode()
    assert sub.reference in html and later.reference in html
