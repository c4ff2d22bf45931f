"""The contract the structural guards (vigil/testing/guards.py) hold the code to: the layers
between apps, the arrows that may never exist, the writes allowed outside actions (each with
its reason), and the longest a module may be. Data only; the checks are in guards.py.
"""

from __future__ import annotations

# ---------------------------------------------------------------------------------------------
# The layers contract. Read top to bottom: an app may import (at module level) only apps in
# lower layers; apps in one layer may not import each other. Function-level imports are not
# part of the contract (they are reviewed one by one: each carries its reason), except for the
# forbidden arrows below, which hold for every import.
# ---------------------------------------------------------------------------------------------
LAYERS: list[tuple[str, ...]] = [
    ("search",),  # the search box reads every app that holds identifiers
    ("subpoenas", "exchange"),
    ("stats",),
    ("lookups",),
    ("referrals",),
    ("retention",),
    ("victimid", "deconfliction"),
    ("tips",),
    ("messaging", "audit.viewer"),
    ("accounts",),
    ("audit",),
    ("core",),
    ("lib",),
]

# Modules that sit in a layer of their own inside an app. The audit viewer (its pages and the
# redaction of case values) asks accounts.access who may read what; the trail itself (models,
# log, head, verify), which accounts writes to, knows no accounts.
COMPONENTS: dict[str, str] = {
    "vigil.audit.views": "audit.viewer",
    "vigil.audit.redaction": "audit.viewer",
    "vigil.audit.urls": "audit.viewer",
}

# (importer, imported, why): arrows that may never exist, function-level imports included.
FORBIDDEN: list[tuple[str, str, str]] = [
    (
        "tips",
        "vigil.deconfliction",
        "tips knows nothing of deconfliction: it sends vigil.tips.signals, deconfliction listens",
    ),
    ("lib", "*apps*", "lib imports no Vigil app"),
    ("lib", "django", "lib barely knows Django: plain Python a test can run without settings"),
]

# The project's own top-level modules: they wire every app together and belong to none.
PROJECT = {"settings", "urls", "api_urls", "cli", "wsgi", "__main__"}

# The longest a module may be (non-test, non-migration): past it, a file holds two contexts.
MAX_MODULE_LINES = 600


# ---------------------------------------------------------------------------------------------
# Writes outside `<app>/actions.py`, each with its reason. (path, function qualname) or
# (path, "*") for a whole file. An entry that matches no write any more fails the test too:
# delete it when the write moves into an action.
# ---------------------------------------------------------------------------------------------
WRITE_ALLOWED: dict[tuple[str, str], str] = {
    # -- the audit trail itself
    ("vigil/audit/log.py", "record"): "the audit row itself: the one writer of AuditEvent",
    # -- sign-in machinery: each write audits in its own transaction (account.disable,
    #    account.lockout, account.unlock, login), called from django signals and axes
    ("vigil/accounts/auth.py", "disable_inactive"): "sign-in: audited account.disable",
    ("vigil/accounts/auth.py", "lock"): "sign-in: audited account.lockout",
    ("vigil/accounts/auth.py", "is_locked"): "sign-in: audited account.unlock (lapsed lock)",
    ("vigil/accounts/auth.py", "_on_login"): "sign-in: last_seen_at with the audited login row",
    ("vigil/accounts/middleware.py", "AccountPolicyMiddleware.__call__"): (
        "activity bookkeeping: last_seen_at (at most every 5 minutes) feeds the inactive-"
        "account rule; auditing every request's timestamp would drown the trail"
    ),
    # -- task bookkeeping: worker heartbeats, task claims and progress counters. Not case data;
    #    the work they track is audited by the actions it calls.
    ("vigil/core/workers.py", "beat"): "task bookkeeping: worker heartbeat row",
    ("vigil/core/workers.py", "recover_lost_tasks"): (
        "task bookkeeping: claims a lost worker's task (django-tasks' own row); the app's "
        "on_lost hook audits what it does with it"
    ),
    ("vigil/core/workers.py", "Heartbeat.stop"): "task bookkeeping: a stopping worker's beat",
    ("vigil/exchange/tasks.py", "run_vics_import"): (
        "task bookkeeping: the ImportJob's status and final figures; the import's writes are "
        "audited by exchange.actions.do_import_vics"
    ),
    (
        "vigil/exchange/tasks.py",
        "vics_import_lost",
    ): "task bookkeeping: audited exchange.import_lost",
    ("vigil/tips/tasks.py", "run_import_job"): (
        "task bookkeeping: the ImportJob's status, progress and checkpoint; the import's "
        "writes are audited by the importer"
    ),
    ("vigil/tips/tasks.py", "import_job_lost"): "task bookkeeping: audited tip.import_lost",
    ("vigil/tips/tasks.py", "resume_import_job"): (
        "task bookkeeping: re-queue; called by the audited tips action do_resume_import"
    ),
    ("vigil/victimid/tasks.py", "process_match_request"): (
        "task bookkeeping: MatchRequest status and done counter, MatchItem.processed; each "
        "item's work goes through victimid.actions.process_item"
    ),
    ("vigil/victimid/tasks.py", "match_request_lost"): (
        "task bookkeeping: back to queued for the next attempt (the failure path is the "
        "audited do_finish_match_request)"
    ),
    # -- key rotation: `vigil rotate_keys` owns one transaction over every app's keys.py and
    #    writes one keys.rotate audit row with the counts (rows re-keyed in place, no content
    #    changes)
    ("vigil/tips/keys.py", "rotate"): "key rotation: audited once by rotate_keys",
    ("vigil/deconfliction/keys.py", "rotate"): "key rotation: audited once by rotate_keys",
    ("vigil/victimid/keys.py", "rotate"): "key rotation: audited once by rotate_keys",
    ("vigil/exchange/keys.py", "identity"): (
        "this instance's own signing identity, made once on first use (no case data; its "
        "use in every package or sync is audited)"
    ),
}
