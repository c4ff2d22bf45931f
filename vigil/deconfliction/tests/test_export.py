from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from vigil.audit.models import AuditEvent
from vigil.deconfliction import actions
from vigil.deconfliction.models import Flag
from vigil.deconfliction.tests import factories as f

pytestmark = pytest.mark.django_db


def _export() -> list:
    out = StringIO()
    call_command("export_flags", "--json", stdout=out)
    return json.loads(out.getvalue())


def test_it_exports_an_empty_list():
    assert _export() == []


def test_it_groups_reasons_per_tip_pair_and_lists_hubs(personas, settings):
    settings.COMMON_VALUE_THRESHOLD = 3
    a, b, c = f.tip("REF-A"), f.tip("REF-B"), f.tip("REF-C")
    f.add(a, "email", "x@example.org")
    f.add(b, "email", "X@example.org")
    f.add(a, "ip", "81.2.69.160")
    f.add(b, "ip", "81.2.69.160")
    f.add(a, "person", "William Turner")
    f.add(b, "person", "Bill Turner")
    # c shares a phone with a, dismissed: not exported.
    f.add(a, "phone", "+1 202 555 0143")
    f.add(c, "phone", "(202) 555-0143")
    actions.do_dismiss_flag(
        Flag.objects.get(tip_b=c), reason="shared switchboard", actor=personas.manager
    )
    # A hub: one value on four tips.
    hub_tips = [f.tip(f"HUB-{i}") for i in range(4)]
    for t in hub_tips:
        f.add(t, "domain", "example-hub.org")
    data = _export()
    pairs = [d for d in data if "reasons" in d]
    hubs = [d for d in data if d.get("hub")]
    # "tips" are the references programs match on; "names" say them for a person.
    ab = next(p for p in pairs if p["tips"] == ["REF-A", "REF-B"])
    assert ab["names"] == ["NCMEC REF-A", "NCMEC REF-B"]
    reasons = {(r["type"], r["value"]): r for r in ab["reasons"]}
    assert ("email", "x@example.org") in reasons
    assert ("ip", "81.2.69.160") in reasons
    name = reasons[("name", "william turner ~ bill turner")]
    assert isinstance(name["score"], float) and name["score"] >= 0.9
    assert "score" not in reasons[("email", "x@example.org")]
    assert not any("REF-C" in p["tips"] for p in pairs)
    hub = next(h for h in hubs if h["value"] == "example-hub.org")
    assert hub["type"] == "domain" and sorted(hub["tips"]) == [f"HUB-{i}" for i in range(4)]
    assert sorted(hub["names"]) == [f"NCMEC HUB-{i}" for i in range(4)]
    assert AuditEvent.objects.filter(action="deconfliction.export_flags").exists()


def test_it_requires_the_json_switch():
    with pytest.raises(CommandError):
        call_command("export_flags", stdout=StringIO())


def test_it_writes_to_a_file(tmp_path):
    a, b = f.tip("R1"), f.tip("R2")
    f.add(a, "vehicle", "ABC 123")
    f.add(b, "vehicle", "abc-123")
    target = tmp_path / "flags.json"
    call_command("export_flags", "--json", "--output", str(target), stdout=StringIO())
    assert json.loads(target.read_text()) == [
        {
            "tips": ["R1", "R2"],
            "names": ["NCMEC R1", "NCMEC R2"],
            "reasons": [{"type": "vehicle", "value": "ABC123"}],
        }
    ]
