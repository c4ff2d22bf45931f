import pytest
from django.urls import reverse

from vigil.audit.models import AuditEvent
from vigil.messaging.actions import do_notify, do_send_message
from vigil.messaging.models import Message
from vigil.testing.roles import check_roles


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.REQUIRE_MFA = False


def test_it_shows_every_signed_in_user_their_inbox(client, personas):
    check_roles(client, personas, "get", reverse("messaging-inbox"))


def test_it_shows_a_message_only_to_its_recipient_and_sender(client, personas):
    msg = do_send_message(
        actor=personas.manager, recipient=personas.investigator, subject="Case 12", body="see"
    )
    check_roles(client, personas, "get", reverse("messaging-detail", args=[msg.pk]))


def test_it_marks_a_message_read_only_for_its_recipient(client, personas):
    msg = do_send_message(
        actor=personas.manager, recipient=personas.investigator, subject="Case 12", body="see"
    )
    client.force_login(personas.manager)
    client.get(reverse("messaging-detail", args=[msg.pk]))
    msg.refresh_from_db()
    assert msg.read_at is None
    client.force_login(personas.investigator)
    assert b'class="badge">1<' in client.get(reverse("messaging-inbox")).content
    client.get(reverse("messaging-detail", args=[msg.pk]))
    msg.refresh_from_db()
    assert msg.read_at is not None
    assert b'class="badge"' not in client.get(reverse("messaging-inbox")).content


def test_it_audits_the_first_reading_of_a_message(client, personas):
    msg = do_send_message(
        actor=personas.manager, recipient=personas.investigator, subject="Case 12", body="see"
    )
    reads = AuditEvent.objects.filter(action="message.read")
    client.force_login(personas.manager)  # the sender reading it is no reading
    client.get(reverse("messaging-detail", args=[msg.pk]))
    assert not reads.exists()
    client.force_login(personas.investigator)
    client.get(reverse("messaging-detail", args=[msg.pk]))
    client.get(reverse("messaging-detail", args=[msg.pk]))
    (event,) = reads
    assert event.actor == personas.investigator and event.object_id == str(msg.pk)


def test_it_lets_every_signed_in_user_send_and_audits_it(client, personas):
    check_roles(
        client,
        personas,
        "post",
        reverse("messaging-send"),
        data={"recipient": personas.manager.pk, "subject": "Hello", "body": "text"},
        audit_action="message.send",
    )
    assert Message.objects.filter(recipient=personas.manager).count() == 5


def test_it_refuses_a_message_without_subject_or_recipient(client, personas):
    client.force_login(personas.reader)
    response = client.post(
        reverse("messaging-send"), {"recipient": personas.manager.pk, "subject": " "}, follow=True
    )
    assert b"needs a subject" in response.content
    response = client.post(reverse("messaging-send"), {"subject": "Hi"}, follow=True)
    assert b"Choose who the message is for" in response.content
    personas.manager.is_active = False
    personas.manager.save()
    response = client.post(
        reverse("messaging-send"), {"recipient": personas.manager.pk, "subject": "Hi"}, follow=True
    )
    assert b"Choose who the message is for" in response.content
    assert not Message.objects.exists()


def test_it_notifies_once_per_dedupe_key(personas):
    first = do_notify(personas.reader, subject="Flag on tip 3", link="/tips/3/", dedupe_key="f3")
    again = do_notify(personas.reader, subject="Flag on tip 3", link="/tips/3/", dedupe_key="f3")
    assert first is not None and again is None
    assert Message.objects.filter(recipient=personas.reader).count() == 1
    assert AuditEvent.objects.filter(action="message.notify").count() == 1
