from __future__ import annotations

import pytest

from vigil.core import request_context
from vigil.deconfliction.tests import factories as f
from vigil.messaging.models import Message
from vigil.tips import actions as tips_actions
from vigil.tips.models import Selector

pytestmark = pytest.mark.django_db


def test_it_notifies_investigators_of_new_flags_on_their_tips(personas):
    mine = f.tip("MINE-1", assigned=personas.investigator)
    theirs = f.tip("THEIRS-1", assigned=personas.other_investigator)
    f.add(mine, "email", "x@example.org")
    f.add(theirs, "email", "x@example.org", actor=personas.other_investigator)
    msg = Message.objects.get(recipient=personas.investigator)
    assert msg.kind == Message.Kind.NOTIFICATION
    assert "MINE-1" in msg.subject and "x@example.org" in msg.body
    assert msg.link.endswith(f"/deconfliction/tip/{mine.pk}/")
    assert Message.objects.filter(recipient=personas.other_investigator).count() == 1


def test_it_sends_one_notification_per_tip_per_batch(personas):
    mine = f.tip(assigned=personas.investigator)
    for value in ("a@example.org", "b@example.org", "c@example.org"):
        f.add(mine, "email", value)
    with request_context.bind(request_id="import-1", via="task"):
        for value in ("a@example.org", "b@example.org", "c@example.org"):
            f.add(f.tip(), "email", value)
    assert Message.objects.filter(recipient=personas.investigator).count() == 1
    with request_context.bind(request_id="import-2", via="task"):
        f.add(f.tip(), "email", "a@example.org")
    assert Message.objects.filter(recipient=personas.investigator).count() == 2


def test_it_does_not_notify_about_common_values(personas, settings):
    settings.COMMON_VALUE_THRESHOLD = 1
    mine = f.tip(assigned=personas.investigator)
    f.add(mine, "ip", "81.2.69.160")
    f.add(f.tip(), "ip", "81.2.69.160")
    assert not Message.objects.filter(recipient=personas.investigator).exists()


def test_it_notifies_about_name_flags_too(personas):
    mine = f.tip("NAME-1", assigned=personas.investigator)
    f.add(mine, "person", "William Turner", dob="1980-02-03")
    f.add(f.tip("NAME-2"), "person", "Bill Turner", dob="1980-02-03")
    msg = Message.objects.get(recipient=personas.investigator)
    assert "NAME-1" in msg.subject and "William Turner ~ Bill Turner" in msg.body


def test_a_possible_flag_tells_no_one_until_it_is_confirmed(personas):
    mine = f.tip("POSS-1", assigned=personas.investigator)
    theirs = f.tip("POSS-2", assigned=personas.other_investigator)
    f.add(mine, "online_id", "kik:x_panda_night", extracted=True)
    with request_context.bind(request_id="other-request", via="task"):
        assert f.add(theirs, "online_id", "kik:x_panda_night") == 1  # a possible flag
    assert not Message.objects.exists()
    with request_context.bind(request_id="confirm", via="web"):
        tips_actions.do_confirm_selector(
            Selector.objects.get(tip=mine), actor=personas.investigator
        )
    # Confirmed: the flag is a full one and both investigators hear of it once.
    msg = Message.objects.get(recipient=personas.investigator)
    assert "POSS-1" in msg.subject and "x_panda_night" in msg.body
    assert Message.objects.filter(recipient=personas.other_investigator).count() == 1
