"""Run by test_replica.py in its own process: two aliases (default, replica) on one PostgreSQL
server, both with real connections. Prints "replica ok" when every check holds."""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigil.settings")
django.setup()

from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from vigil.accounts.models import Role, User  # noqa: E402
from vigil.audit.models import AuditEvent  # noqa: E402
from vigil.core.replica import replica_reads  # noqa: E402
from vigil.tips.models import Selector, Source, Tip  # noqa: E402

assert set(connections.settings) == {"default", "replica"}, connections.settings
assert connections["default"] is not connections["replica"]

user = User.objects.create_user("reader", password="x" * 16, role=Role.INVESTIGATOR)
source = Source.objects.create(name="NCMEC", kind=Source.Kind.NCMEC)
tip = Tip.objects.create(source=source, source_reference="R-1", received_at=timezone.now())
Selector.objects.create(
    tip=tip, type="email", value="someone@example.com", raw="someone@example.com"
)

# Outside a read-heavy page everything is on the primary; inside, case data reads the replica.
assert Tip.objects.all().db == "default"
with replica_reads():
    assert Tip.objects.all().db == "replica"
    assert User.objects.all().db == "default"
    assert AuditEvent.objects.all().db == "default"

client = Client()
client.force_login(user)
with (
    CaptureQueriesContext(connections["replica"]) as on_replica,
    CaptureQueriesContext(connections["default"]) as on_default,
):
    response = client.get("/tips/search/", {"q": "someone@example.com"})
assert response.status_code == 200, response.status_code
assert b"R-1" in response.content
replica_sql = " ".join(q["sql"] for q in on_replica.captured_queries)
default_sql = " ".join(q["sql"] for q in on_default.captured_queries)
assert '"tips_tip"' in replica_sql, replica_sql
assert '"tips_tip"' not in default_sql, default_sql
# The audit row (a write, and the chain's read of the newest row) stays on the primary.
assert "audit_auditevent" in default_sql and "audit_auditevent" not in replica_sql
assert AuditEvent.objects.filter(action="tip.search").count() == 1
print("replica ok")
