"""The "may share" grant: only a Manager grants or revokes it, with a reason, audited."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from vigil.accounts import access, actions
from vigil.accounts.models import Role
from vigil.audit.models import AuditEvent
from vigil.testing.personas import make_user
from vigil.testing.roles import check_roles


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.REQUIRE_MFA = False


def test_it_lets_only_a_manager_grant_and_revoke(personas):
    ivan = personas.investigator
    assert not access.can_share(ivan)
    for actor in (personas.reader, personas.other_investigator, personas.admin, ivan):
        with pytest.raises(PermissionDenied):
            actions.do_grant_share(ivan, actor=actor, reason="liaison")
    actions.do_grant_share(ivan, actor=personas.manager, reason="liaison with the ICAC")
    ivan.refresh_from_db()
    assert ivan.may_share and access.can_share(ivan)
    assert ivan.may_share_changed_by == personas.manager
    event = AuditEvent.objects.get(action="account.share_grant")
    assert event.actor == personas.manager and event.object_id == str(ivan.pk)
    assert event.changes["may_share"] == {"before": False, "after": True}
    actions.do_revoke_share(ivan, actor=personas.manager, reason="left the unit")
    ivan.refresh_from_db()
    assert not ivan.may_share and not access.can_share(ivan)
    assert AuditEvent.objects.filter(action="account.share_revoke").count() == 1


def test_it_requires_a_mission_need_and_a_data_role(personas):
    with pytest.raises(ValidationError):
        actions.do_grant_share(personas.investigator, actor=personas.manager, reason="  ")
    with pytest.raises(ValidationError):
        actions.do_grant_share(personas.reader, actor=personas.manager, reason="need")
    with pytest.raises(ValidationError):
        actions.do_grant_share(personas.admin, actor=personas.manager, reason="need")
    with pytest.raises(ValidationError):
        actions.do_revoke_share(personas.investigator, actor=personas.manager)
    assert not AuditEvent.objects.filter(action__startswith="account.share").exists()


def test_it_stops_sharing_when_the_role_is_lost(personas):
    ivan = personas.investigator
    actions.do_grant_share(ivan, actor=personas.manager, reason="need")
    ivan.refresh_from_db()
    ivan.role = Role.READER
    assert not access.can_share(ivan)


def test_it_guards_the_sharing_pages(client, personas):
    check_roles(client, personas, "get", reverse("accounts-sharing"))
    target = make_user("target", Role.INVESTIGATOR)

    def reset():
        type(target).objects.filter(pk=target.pk).update(may_share=False)

    check_roles(
        client,
        personas,
        "post",
        reverse("accounts-share-grant", args=[target.pk]),
        data={"reason": "task force liaison"},
        audit_action="account.share_grant",
        setup=reset,
    )

    def grant():
        type(target).objects.filter(pk=target.pk).update(may_share=True)

    check_roles(
        client,
        personas,
        "post",
        reverse("accounts-share-revoke", args=[target.pk]),
        data={"reason": ""},
        audit_action="account.share_revoke",
        setup=grant,
    )


def test_it_shows_the_grant_on_the_account_pages(client, personas):
    ivan = personas.investigator
    actions.do_grant_share(ivan, actor=personas.manager, reason="liaison with the ICAC")
    client.force_login(personas.admin)
    page = client.get(reverse("accounts-detail", args=[ivan.pk])).content.decode()
    assert "may share with outside agencies" in page and "liaison with the ICAC" in page
    # The sharing page is a Manager's: the administrator is told where, not sent to a 403.
    assert "Sharing grants" in page and f'href="{reverse("accounts-sharing")}"' not in page
    client.force_login(personas.manager)
    page = client.get(reverse("accounts-sharing")).content.decode()
    assert "liaison with the ICAC" in page and "maria" in page


def test_it_answers_404_for_an_unknown_account(client, personas):
    client.force_login(personas.manager)
    assert (
        client.post(reverse("accounts-share-grant", args=[9999]), {"reason": "x"}).status_code
        == 404
    )


def test_it_refuses_a_grant_without_reason_through_the_page(client, personas):
    client.force_login(personas.manager)
    response = client.post(
        reverse("accounts-share-grant", args=[personas.investigator.pk]), {"reason": ""}
    )
    assert response.status_code == 302
    personas.investigator.refresh_from_db()
    assert not personas.investigator.may_share
