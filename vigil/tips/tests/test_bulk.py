"""An import batch as a unit: its result page links, the queue's batch filter, bulk actions (issue 15)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from vigil.audit.models import AuditEvent
from vigil.messaging.models import Message
from vigil.testing.personas import api_token
from vigil.testing.queries import check_list_queries
from vigil.testing.roles import check_roles
from vigil.tips import actions
from vigil.tips.models import ImportJob, Tip
from vigil.tips.tasks import run_import_job
from vigil.tips.tests.conftest import make_tip
from vigil.tips.tests.test_query_counts import _tips

pytestmark = pytest.mark.django_db


def _job(user, name="batch.csv") -> ImportJob:
    return ImportJob.objects.create(created_by=user, original_name=name, status="done")


def _batch(actor, source, job, n=3, prefix="B"):
    """n tips of `job` (as the web import makes them: unassigned)."""
    tips = [make_tip(actor, source, f"{prefix}-{i}") for i in range(n)]
    Tip.objects.filter(pk__in=[t.pk for t in tips]).update(import_job=job, assigned_to=None)
    return tips


def _upload(client, user, source, body: bytes, name="t.csv") -> ImportJob:
    client.force_login(user)
    r = client.post(
        reverse("tips-import"), {"file": SimpleUploadedFile(name, body), "source": source.pk}
    )
    assert r.status_code == 302
    job = ImportJob.objects.latest("pk")
    run_import_job.call(job.pk, "")  # on_commit does not fire in the test transaction
    job.refresh_from_db()
    return job


def test_the_result_page_links_to_the_tips_it_created_and_the_flags_they_raised(
    client, personas, source
):
    earlier = make_tip(personas.manager, source, "OLD-1")
    actions.do_add_selectors(
        earlier, [actions.SelectorInput("ip", "81.2.69.142")], actor=personas.manager
    )
    body = b"reference,narrative,ip_address\nW-1,hi,81.2.69.142\nW-2,hello,81.2.69.160\n"
    job = _upload(client, personas.investigator, source, body)
    assert job.summary["tips_created"] == 2 and job.summary["flags"] == 1
    assert set(Tip.objects.filter(import_job=job).values_list("source_reference", flat=True)) == {
        "W-1",
        "W-2",
    }
    page = client.get(reverse("tips-import-detail", args=[job.pk])).content.decode()
    tips_url = f"{reverse('tips-queue')}?batch={job.pk}"
    flags_url = f"{reverse('deconfliction-flags')}?batch={job.pk}"
    assert f'href="{tips_url}"' in page and "The 2 tips it created" in page
    # A flag is a pair of tips; the flags page lists one decision per shared value, so the
    # counts say "tip pairs", not a number of rows the page will not show.
    assert f'href="{flags_url}"' in page and "The flags its tips raised (1 tip pair)" in page
    # The queue shows the batch's tips and nothing else.
    queue = client.get(tips_url).content.decode()
    assert "W-1" in queue and "W-2" in queue and "OLD-1" not in queue
    assert "import batch #" in queue and "t.csv" in queue
    # The flags page shows the decisions touching them.
    flags = client.get(flags_url).content.decode()
    assert "81.2.69.142" in flags and "81.2.69.160" not in flags
    other = client.get(f"{reverse('deconfliction-flags')}?batch={job.pk + 99}").content.decode()
    assert "81.2.69.142" not in other


def test_the_batch_filter_takes_only_an_id(client, personas):
    client.force_login(personas.reader)
    assert client.get(reverse("tips-queue"), {"batch": "x"}).status_code == 400
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(personas.reader)}")
    assert api.get(reverse("api-tips-list"), {"batch": "x"}).status_code == 400
    assert api.get(reverse("api-tips-list"), {"batch": "1"}).json()["count"] == 0


def test_a_manager_sets_a_priority_for_the_whole_batch_in_one_audited_operation(
    client, personas, source
):
    job = _job(personas.manager)
    batch = _batch(personas.manager, source, job, n=4)
    outside = make_tip(personas.manager, source, "OUT-1")
    client.force_login(personas.manager)
    before = AuditEvent.objects.count()
    r = client.post(
        reverse("tips-bulk-priority"),
        {"scope": "filter", "f_batch": job.pk, "priority": "1"},
        follow=True,
    )
    assert "4 tips given the new priority." in r.content.decode()
    assert r.redirect_chain[-1][0] == f"{reverse('tips-queue')}?batch={job.pk}"
    assert set(Tip.objects.filter(import_job=job).values_list("priority", flat=True)) == {1}
    assert Tip.objects.get(pk=outside.pk).priority == 5
    event = AuditEvent.objects.get(action="tip.bulk_priority")
    ids = sorted(t.pk for t in batch)
    assert event.changes["tips"] == f"{ids[0]}-{ids[-1]}" and event.changes["count"] == 4
    assert event.changes["before"] == {"5": f"{ids[0]}-{ids[-1]}"}
    # One row for the operation (and the queue's read after the redirect), not one per tip.
    assert AuditEvent.objects.filter(id__gt=0).count() - before == 2


def test_an_investigator_changes_only_the_tips_assigned_to_them(personas, source):
    mine = [make_tip(personas.investigator, source, f"M-{i}") for i in range(2)]
    theirs = make_tip(personas.other_investigator, source, "T-1")
    outcome = actions.do_set_tips_priority(
        [t.pk for t in mine] + [theirs.pk], 2, actor=personas.investigator
    )
    assert outcome.changed == [t.pk for t in mine] and outcome.skipped == [theirs.pk]
    assert Tip.objects.get(pk=theirs.pk).priority == 5
    assert "1 skipped (not yours to change)" in outcome.message("given the new priority")
    with pytest.raises(PermissionDenied):
        actions.do_set_tips_priority([theirs.pk], 1, actor=personas.investigator)
    with pytest.raises(PermissionDenied):
        actions.do_set_tips_priority([mine[0].pk], 1, actor=personas.reader)


def test_an_investigator_takes_the_unassigned_tips_of_a_batch(client, personas, source):
    job = _job(personas.investigator)
    batch = _batch(personas.manager, source, job, n=3)
    Tip.objects.filter(pk=batch[0].pk).update(assigned_to=personas.other_investigator)
    client.force_login(personas.investigator)
    r = client.post(
        reverse("tips-bulk-take"), {"scope": "filter", "f_batch": job.pk}, follow=True
    ).content.decode()
    assert "2 tips taken; 1 skipped (not yours to change)." in r
    assert {t.assigned_to_id for t in Tip.objects.filter(pk__in=[b.pk for b in batch[1:]])} == {
        personas.investigator.pk
    }
    assert set(
        Tip.objects.filter(pk__in=[b.pk for b in batch[1:]]).values_list("status", flat=True)
    ) == {"in_review"}
    assert Tip.objects.get(pk=batch[0].pk).assigned_to == personas.other_investigator
    event = AuditEvent.objects.get(action="tip.bulk_take")
    assert event.changes["skipped"] == str(batch[0].pk) and event.changes["count"] == 2
    # Now theirs: the priority can be set for the batch.
    r = client.post(
        reverse("tips-bulk-priority"),
        {"tip": [b.pk for b in batch], "priority": "2"},
        follow=True,
    ).content.decode()
    assert "2 tips given the new priority; 1 skipped (not yours to change)." in r


def test_a_manager_assigns_ticked_tips_and_the_assignee_hears_once(client, personas, source):
    tips = [make_tip(personas.manager, source, f"A-{i}") for i in range(3)]
    client.force_login(personas.manager)
    client.post(
        reverse("tips-bulk-assign"),
        {"tip": [t.pk for t in tips[:2]], "assignee": personas.investigator.pk},
    )
    assert [Tip.objects.get(pk=t.pk).assigned_to_id for t in tips] == [
        personas.investigator.pk,
        personas.investigator.pk,
        None,
    ]
    assert Message.objects.filter(recipient=personas.investigator).count() == 1
    assert AuditEvent.objects.filter(action="tip.bulk_assign").count() == 1
    # No tip ticked: said, nothing written.
    r = client.post(reverse("tips-bulk-assign"), {"assignee": ""}, follow=True)
    assert "Select at least one tip." in r.content.decode()
    assert AuditEvent.objects.filter(action="tip.bulk_assign").count() == 1


def test_it_guards_the_bulk_actions(client, personas, tip, source):
    unassigned = make_tip(personas.manager, source, "U-1")
    check_roles(
        client,
        personas,
        "post",
        reverse("tips-bulk-priority"),
        data={"tip": [tip.pk], "priority": "1"},
        audit_action="tip.bulk_priority",
        setup=lambda: Tip.objects.filter(pk=tip.pk).update(priority=5),
    )
    check_roles(
        client,
        personas,
        "post",
        reverse("tips-bulk-take"),
        data={"tip": [unassigned.pk]},
        audit_action="tip.bulk_take",
        setup=lambda: Tip.objects.filter(pk=unassigned.pk).update(assigned_to=None),
    )
    check_roles(
        client,
        personas,
        "post",
        reverse("tips-bulk-assign"),
        data={"tip": [unassigned.pk], "assignee": personas.investigator.pk},
        audit_action="tip.bulk_assign",
        setup=lambda: Tip.objects.filter(pk=unassigned.pk).update(assigned_to=None),
    )


def test_the_queue_of_one_batch_runs_a_fixed_number_of_queries(client, personas, source):
    job = _job(personas.manager)
    add = _tips(personas)

    def add_to_batch(n):
        known = set(Tip.objects.values_list("pk", flat=True))
        add(n)
        Tip.objects.exclude(pk__in=known).update(import_job=job)

    check_list_queries(
        client,
        personas.manager,
        reverse("tips-queue"),
        add_to_batch,
        params={"batch": job.pk},
        max_queries=18,  # the queue's 17, and the batch's name
        expect_rows=lambda r, n: r.content.count(b'name="tip"') == n,
    )
