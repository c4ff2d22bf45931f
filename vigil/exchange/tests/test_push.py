"""Push: a partner sends us its own changes (POST /api/exchange/sync/push), and we push ours.

In-process tests of the receiving API (token, suspension, idempotent batches, audit), then two
real instances on 127.0.0.1: A pushes to B, is stopped half-way and resumes, a revoked token
and a suspended partner are refused.
"""

from __future__ import annotations

import hashlib
import json
import signal
import time

import pytest
from django.urls import reverse

from vigil.audit.models import AuditEvent
from vigil.exchange import actions
from vigil.exchange.models import Provenance, PushReceipt, Transfer
from vigil.testing.instance import Instance
from vigil.victimid.models import Media

from .conftest import make_partner
from .test_sync import CREDENTIALS, KEYS, REGISTER, SEED, _count, _sql, _vics


def _record(i: int, series: str = "Pushed series") -> dict:
    s = f"push-{i}".encode()
    return {
        "MediaID": i,
        "Category": 1,
        "MD5": hashlib.md5(s).hexdigest(),  # noqa: S324 - VICS keys on MD5
        "SHA1": hashlib.sha1(s).hexdigest(),  # noqa: S324
        "MediaSize": 10 + i,
        "Series": series,
        "VictimIdentified": False,
    }


@pytest.fixture
def token(db, personas):
    partner = make_partner("PUSHER")
    return partner, actions.do_issue_token(partner, actor=personas.manager)[1]


def _push(client, secret, body):
    return client.post(
        reverse("exchange-sync-push"),
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )


def test_a_pushed_batch_is_applied_once_and_audited(client, token):
    partner, secret = token
    body = {"batch": "batch-0001", "records": [_record(i) for i in range(5)], "series": []}
    first = _push(client, secret, body)
    assert first.status_code == 200, first.content
    answer = first.json()
    assert answer["batch"] == "batch-0001" and answer["duplicate"] is False
    assert answer["created"] == 5 and answer["rejected"] == []
    assert Provenance.objects.filter(partner=partner).count() == 5
    assert Media.objects.filter(series__name="Pushed series").count() == 5
    transfer = Transfer.objects.get(direction="in", method="push")
    assert transfer.actor_username == "partner:PUSHER" and transfer.records == 5
    received = AuditEvent.objects.get(action="exchange.receive")
    assert received.changes["direction"] == "in" and received.changes["method"] == "push"
    assert len(received.changes["records"]) == 5
    assert AuditEvent.objects.filter(action="exchange.push_received").count() == 1

    # The same batch again (an answer lost on the way): nothing applied twice.
    again = _push(client, secret, body)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["created"] == 5
    assert Transfer.objects.filter(direction="in", method="push").count() == 1
    assert PushReceipt.objects.count() == 1
    # Another batch id with the same records: idempotent by digest.
    other = _push(client, secret, {**body, "batch": "batch-0002"})
    assert other.json()["unchanged"] == 5 and other.json()["created"] == 0
    assert Media.objects.count() == 5


def test_a_push_is_refused_without_a_valid_token_or_an_approved_partner(client, token, personas):
    partner, secret = token
    body = {"batch": "batch-0001", "records": [_record(1)]}
    assert _push(client, "vgx_nope_nope", body).status_code == 401
    assert (
        client.post(
            reverse("exchange-sync-push"), data="{}", content_type="application/json"
        ).status_code
        == 401
    )
    assert (
        client.get(reverse("exchange-sync-push"), HTTP_AUTHORIZATION=f"Bearer {secret}").status_code
        == 405
    )
    assert _push(client, secret, {"records": []}).status_code == 400
    assert _push(client, secret, {"batch": "batch-0001", "records": {}}).status_code == 400
    bad = client.post(
        reverse("exchange-sync-push"),
        data="not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert bad.status_code == 400
    too_many = {"batch": "batch-0003", "records": [_record(i) for i in range(2001)]}
    assert _push(client, secret, too_many).status_code == 400

    partner.sends = 0
    partner.save()
    refused = _push(client, secret, body)
    assert refused.status_code == 403 and "sending nothing" in refused.json()["error"]
    partner.sends = 2
    partner.status = "suspended"
    partner.save()
    refused = _push(client, secret, body)
    assert refused.status_code == 403 and "suspended" in refused.json()["error"]
    partner.status = "approved"
    partner.save()
    tok = partner.tokens.get()
    actions.do_revoke_token(tok, actor=personas.manager)
    assert _push(client, secret, body).status_code == 401
    assert Media.objects.count() == 0 and not PushReceipt.objects.exists()
    # Each refusal (all but the 405) is audited, the partner named once the token is known.
    refusals = AuditEvent.objects.filter(action="exchange.api_refused")
    assert sorted(r.changes["status"] for r in refusals) == [400] * 4 + [401] * 3 + [403] * 2
    assert refusals.filter(actor_username="partner:PUSHER").count() == 6


# --------------------------------------------------------------------------- two instances

N = 300

SHARER = """
from vigil.accounts import actions as accounts
from vigil.testing.personas import make_user
from django.contrib.auth import get_user_model
chief = get_user_model().objects.get(username="chief")
accounts.do_grant_share(make_user("sharer", "manager"), actor=chief, reason="mission need (test)")
"""


@pytest.fixture
def pair(tmp_path):
    a = Instance.create(tmp_path / "a", "alpha")
    b = Instance.create(tmp_path / "b", "beta")
    a.start()
    b.start()
    try:
        yield a, b
    finally:
        a.stop()
        b.stop()


def test_it_pushes_to_another_instance_resumes_and_is_refused_when_revoked(pair, tmp_path):
    a, b = pair
    ka, kb = json.loads(a.py(KEYS)), json.loads(b.py(KEYS))
    token_for_a = b.py(REGISTER.format(name="alpha", signing=ka["signing"], age=ka["age"])).strip()
    a.py(REGISTER.format(name="beta", signing=kb["signing"], age=kb["age"]))
    a.py(CREDENTIALS.format(name="beta", url=b.url, token=token_for_a))
    a.py(SHARER)
    a.py(SEED.format(identified=True, age="9-12"))
    _vics(tmp_path / "a.json", "alpha", N, lambda i: f"A-series-{i % 3}")
    a.vigil("import_vics", str(tmp_path / "a.json"), "--partner", "SEED", "--json")

    # Refused without the "may share" grant: nothing leaves.
    refused = a.vigil("push_partner", "beta", "--user", "chief", check=False)
    assert refused.returncode != 0
    assert _count(b, "alpha")["from_partner"] == 0

    pusher = a.spawn("push_partner", "beta", "--user", "sharer", "--limit", "10", "--json")
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        taken = _sql(b, "select count(*) from exchange_pushreceipt")[0][0]
        if taken >= 3 or pusher.poll() is not None:
            break
        time.sleep(0.05)
    pusher.send_signal(signal.SIGKILL)
    pusher.wait()
    half = _count(b, "alpha")["from_partner"]
    assert 0 < half < N

    resumed = json.loads(a.vigil("push_partner", "beta", "--user", "sharer", "--json").stdout)
    after = _count(b, "alpha")
    assert after["from_partner"] == N and after["media"] == after["distinct_md5"] == N
    # Series metadata went first; at most the batch in flight when killed is sent twice.
    assert resumed["records_sent"] + half >= N and resumed["duplicates"] <= 1
    assert resumed["created"] == N - half
    sent = _sql(a, "select changes from audit_auditevent where action='exchange.send'")
    methods = {json.loads(c)["method"] for (c,) in sent}
    assert methods == {"push"}
    assert sum(len(json.loads(c)["records"]) for (c,) in sent) == N
    assert (
        _sql(b, "select count(*) from audit_auditevent where action='exchange.push_received'")[0][0]
        >= 3
    )

    # Nothing new: nothing pushed.
    again = json.loads(a.vigil("push_partner", "beta", "--user", "sharer", "--json").stdout)
    assert again["batches"] == 0

    # A revoked token at B: the push is refused and A's checkpoint stays.
    a.py(
        "from vigil.victimid import actions as v\nfrom vigil.victimid.models import Series\n"
        "v.do_update_series(Series.objects.get(name='A-series-1'), actor=None, data={'victim_age_range': '13-17'}, warnings=[])"
    )
    b.py(
        "from vigil.exchange import actions\nfrom vigil.exchange.models import PartnerToken\n"
        "[actions.do_revoke_token(t, actor=None) for t in PartnerToken.objects.all()]"
    )
    cursor = _sql(a, "select push_cursor from exchange_partner where name='beta'")[0][0]
    refused = a.vigil("push_partner", "beta", "--user", "sharer", check=False)
    assert refused.returncode != 0
    assert "refused the push (401): The token is unknown, expired or revoked" in refused.stderr
    assert _sql(a, "select push_cursor from exchange_partner where name='beta'")[0][0] == cursor

    # Suspended at B (a fresh token): refused, nothing taken.
    fresh = b.py(
        "from django.contrib.auth import get_user_model\nfrom vigil.exchange import actions\n"
        "p = actions.partner_by_name('alpha')\nchief = get_user_model().objects.get(username='chief')\n"
        "print(actions.do_issue_token(p, actor=chief)[1])\n"
        "actions.do_set_partner_status(p, actor=None, verb='suspend')"
    ).strip()
    a.py(CREDENTIALS.format(name="beta", url=b.url, token=fresh))
    refused = a.vigil("push_partner", "beta", "--user", "sharer", check=False)
    assert (
        refused.returncode != 0 and "(403): alpha is suspended: nothing is taken" in refused.stderr
    )
    # Suspended at A: nothing leaves for B.
    a.py(
        "from vigil.exchange import actions\n"
        "actions.do_set_partner_status(actions.partner_by_name('beta'), actor=None, verb='suspend')"
    )
    refused = a.vigil("push_partner", "beta", "--user", "sharer", check=False)
    assert refused.returncode != 0 and "beta is suspended: nothing is sent to it" in refused.stderr
