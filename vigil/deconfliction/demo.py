"""Demo preparation: let the demo's IP addresses flag.

The demo data uses the documentation ranges (RFC 5737 TEST-NET-2 and -3), which
the seeded warning list holds, so no demo IP could ever raise a flag. Before
any app loads its demo data, the local demo takes those two ranges off the
warning list (through the audited action, with the reason in the audit trail)
so IP deconfliction can be seen working. Never run against real data.
"""

from __future__ import annotations

from vigil.deconfliction import actions
from vigil.deconfliction.models import WarningListEntry

DEMO_STAND_INS = ("198.51.100.0/24", "203.0.113.0/24")


def prepare(actor) -> str:
    removed = []
    for entry in WarningListEntry.objects.active().filter(type="ip", value__in=DEMO_STAND_INS):
        actions.do_remove_warning_entry(entry, actor=actor)
        removed.append(entry.value)
    if not removed:
        return ""
    return f"documentation ranges {', '.join(removed)} stand in for public addresses (off the warning list)"
