"""Two real Vigil instances on 127.0.0.1 sync both ways, survive a kill, honour revocation and suspension."""

from __future__ import annotations

import hashlib
import json
import signal
import sqlite3
import time

import pytest

from vigil.exchange import mapping
from vigil.testing.instance import Instance

N_A = 400
N_B = 60


def _vics(path, prefix, n, series):
    media = []
    for i in range(n):
        s = f"{prefix}-{i}"
        media.append(
            {
                "MediaID": i,
                "Category": 1 + i % 3,
                "MD5": hashlib.md5(s.encode()).hexdigest(),
                "SHA1": hashlib.sha1(s.encode()).hexdigest(),
                "MediaSize": 100 + i,
                "IsPrecategorized": True,
                "Series": series(i),
                "AlternativeHashes": [
                    {"HashName": "PDQ", "HashValue": hashlib.sha256(s.encode()).hexdigest()}
                ],
            }
        )
    path.write_text(json.dumps({"@odata.context": mapping.CONTEXT["2.0"], "value": media}))


KEYS = """
import json
from vigil.exchange import keys
i = keys.identity()
print(json.dumps({"signing": i.signing_public, "age": i.age_recipient}))
"""

REGISTER = """
from vigil.exchange import actions
from vigil.testing.personas import make_user
chief = make_user("chief", "manager")
p = actions.do_create_partner(actor=chief, data={{"name": {name!r}, "organisation": {name!r} + " unit",
    "country": "US", "may_receive": 2, "sends": 2, "signing_key": {signing!r}, "age_recipient": {age!r}}})
actions.do_set_partner_status(p, actor=chief, verb="approve")
print(actions.do_issue_token(p, actor=chief)[1])
"""

CREDENTIALS = """
from vigil.exchange import actions
actions.do_set_sync_credentials(actions.partner_by_name({name!r}), actor=None, url={url!r}, token={token!r})
"""

SEED = """
import base64, pyrage
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from vigil.exchange import actions
from vigil.victimid import actions as v
raw = Ed25519PrivateKey.generate().public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
p = actions.do_create_partner(actor=None, data={{"name": "SEED", "organisation": "seed", "country": "US",
    "may_receive": 2, "sends": 2, "signing_key": base64.b64encode(raw).decode(),
    "age_recipient": str(pyrage.x25519.Identity.generate().to_public())}})
actions.do_set_partner_status(p, actor=None, verb="approve")
v.do_create_series(actor=None, data={{"name": "Shared", "victim_identified": {identified}, "victim_age_range": {age!r}}})
"""

COUNT = """
import json
from vigil.exchange.models import Conflict, Provenance
from vigil.victimid.models import Media
from django.db.models import Count
print(json.dumps({{
    "media": Media.objects.count(),
    "distinct_md5": Media.objects.values("md5").distinct().count(),
    "from_partner": Provenance.objects.filter(partner__name={name!r}).count(),
    "conflicts": sorted(Conflict.objects.open().filter(partner__name={name!r}).values_list("kind", flat=True)),
}}))
"""


def _count(inst, partner):
    return json.loads(inst.py(COUNT.format(name=partner)))


def _sql(inst, query):
    con = sqlite3.connect(f"file:{inst.database}?mode=ro", uri=True, timeout=5)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


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


def test_it_syncs_two_instances_both_ways_and_resumes_after_a_kill(pair, tmp_path):
    a, b = pair
    ka, kb = json.loads(a.py(KEYS)), json.loads(b.py(KEYS))
    token_for_b = a.py(REGISTER.format(name="beta", signing=kb["signing"], age=kb["age"])).strip()
    token_for_a = b.py(REGISTER.format(name="alpha", signing=ka["signing"], age=ka["age"])).strip()
    b.py(CREDENTIALS.format(name="alpha", url=a.url, token=token_for_b))
    a.py(CREDENTIALS.format(name="beta", url=b.url, token=token_for_a))
    a.py(SEED.format(identified=True, age="9-12"))
    b.py(SEED.format(identified=False, age="3-5"))
    _vics(tmp_path / "a.json", "alpha", N_A, lambda i: "Shared" if i < 5 else f"A-series-{i % 4}")
    _vics(tmp_path / "b.json", "beta", N_B, lambda i: "B-own")
    a.vigil("import_vics", str(tmp_path / "a.json"), "--partner", "SEED", "--json")
    b.vigil("import_vics", str(tmp_path / "b.json"), "--partner", "SEED", "--json")

    # B pulls from A in small batches and is killed once a few batches are committed.
    puller = b.spawn("sync_partner", "alpha", "--limit", "10", "--json")
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        done = _sql(
            b, "select count(*) from exchange_transfer where method='sync' and direction='in'"
        )[0][0]
        if done >= 3 or puller.poll() is not None:
            break
        time.sleep(0.05)
    puller.send_signal(signal.SIGKILL)
    puller.wait()
    half = _count(b, "alpha")
    assert 0 < half["from_partner"] < N_A, half
    cursor_before = _sql(b, "select sync_cursor from exchange_partner where name='alpha'")[0][0]
    assert cursor_before

    resumed = json.loads(b.vigil("sync_partner", "alpha", "--json").stdout)
    assert resumed["created"] == N_A - half["from_partner"] and resumed["rejected"] == []
    after = _count(b, "alpha")
    assert after["from_partner"] == N_A
    assert after["media"] == after["distinct_md5"] == N_A + N_B
    assert after["conflicts"] == ["age_range", "identified"]
    # A accounted for every record it served, by id (one disclosure per batch: runs of ids).
    sent = {
        i
        for (changes,) in _sql(
            a, "select changes from audit_auditevent where action='exchange.send'"
        )
        for i in json.loads(changes)["records"]
    }
    named = set()
    for (records,) in _sql(a, "select records from referrals_disclosure where method='sync'"):
        for kind, rid in json.loads(records):
            first, _, last = str(rid).partition("..")
            named |= set(range(int(first), int(last or first) + 1)) if kind == "media" else set()
    assert len(sent) >= N_A and named == sent
    shared = _sql(
        b, "select victim_identified, victim_age_range from victimid_series where name='Shared'"
    )
    assert shared == [(0, "3-5")]

    # The other way: A receives B's own records, not A's own coming back.
    back = json.loads(a.vigil("sync_partner", "beta", "--json").stdout)
    assert back["created"] == N_B
    assert _count(a, "beta")["media"] == N_A + N_B

    # Nothing new: a second pull changes nothing.
    again = json.loads(b.vigil("sync_partner", "alpha", "--json").stdout)
    assert again["created"] == again["updated"] == 0

    # A deletion at A travels as a tombstone.
    a.py(
        "from django.contrib.auth import get_user_model\nfrom vigil.victimid import actions as v\n"
        "from vigil.victimid.models import Series\n"
        "chief = get_user_model().objects.get(username='chief')\n"
        "v.do_delete_series(Series.objects.get(name='A-series-1'), actor=chief)"
    )
    gone = json.loads(b.vigil("sync_partner", "alpha", "--json").stdout)
    assert gone["deleted"] == sum(1 for i in range(5, N_A) if i % 4 == 1)
    assert _count(b, "alpha")["media"] == N_A + N_B - gone["deleted"]

    # A revoked token: the next pull is refused and the checkpoint stays.
    a.py(
        "from vigil.exchange import actions\nfrom vigil.exchange.models import PartnerToken\n"
        "[actions.do_revoke_token(t, actor=None) for t in PartnerToken.objects.all()]"
    )
    cursor = _sql(b, "select sync_cursor from exchange_partner where name='alpha'")[0][0]
    refused = b.vigil("sync_partner", "alpha", check=False)
    assert refused.returncode != 0
    assert "refused the pull (401): The token is unknown, expired or revoked" in refused.stderr
    assert _sql(b, "select sync_cursor from exchange_partner where name='alpha'")[0][0] == cursor

    # A suspended partner: a valid token, and still nothing leaves.
    fresh = a.py(
        "from django.contrib.auth import get_user_model\nfrom vigil.exchange import actions\n"
        "p = actions.partner_by_name('beta')\nchief = get_user_model().objects.get(username='chief')\n"
        "print(actions.do_issue_token(p, actor=chief)[1])\n"
        "actions.do_set_partner_status(p, actor=None, verb='suspend')"
    ).strip()
    b.py(CREDENTIALS.format(name="alpha", url=a.url, token=fresh))
    sends = _sql(a, "select count(*) from audit_auditevent where action='exchange.send'")[0][0]
    refused = b.vigil("sync_partner", "alpha", check=False)
    assert refused.returncode != 0 and "(403): beta is suspended: nothing is sent" in refused.stderr
    assert (
        _sql(a, "select count(*) from audit_auditevent where action='exchange.send'")[0][0] == sends
    )
    audited = _sql(
        a,
        "select changes from audit_auditevent where action='exchange.send' order by id limit 1",
    )[0][0]
    assert json.loads(audited)["direction"] == "out" and json.loads(audited)["partner"] == "beta"
