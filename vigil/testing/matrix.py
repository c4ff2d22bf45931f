"""THE role matrix registry: who may call each named URL, by method.

Every named URL of `vigil/urls.py` (web and /api/) has an entry here or in
EXEMPT, and a role-matrix test that calls it through
`vigil.testing.roles.check_roles` (which reads its expectation from here):
`vigil/core/tests/test_role_coverage.py` fails otherwise. The sets are the
named ones of roles.py; an entry describes the record in the state its test
builds (a tip assigned to `investigator`, a subpoena drafted, …).
"""

from __future__ import annotations

from vigil.testing.roles import (
    ADMIN_ONLY,
    MANAGER_ONLY,
    MANAGER_OR_ADMIN,
    NOBODY,
    OWNER_ONLY,
    PARTNER_ONLY,
    READ_ALL,
    SIGNED_IN,
    WRITE_ALL,
    WRITE_OWN,
    Expect,
)

# Named URLs that answer everyone the same way by design, with the test that covers them.
EXEMPT: dict[str, str] = {
    # Load balancers and monitoring call these without an account (core/tests/test_dashboard.py).
    "core-healthz": "liveness check, no sign-in",
    "core-readyz": "readiness check, no sign-in",
    # The sign-in page itself (accounts/tests/test_login.py).
    "accounts-login": "the sign-in page",
}

MATRIX: dict[str, dict[str, Expect]] = {
    # vigil.urls
    "core-dashboard": {"get": SIGNED_IN},
    # The guides (vigil/core/help.py): every signed-in user, whatever the role.
    "core-help": {"get": SIGNED_IN},
    "core-help-doc": {"get": SIGNED_IN},
    "core-help-image": {"get": SIGNED_IN},
    # vigil.accounts.urls
    "accounts-logout": {"post": SIGNED_IN.returning(302)},
    "accounts-mfa-enrol": {"get": SIGNED_IN},
    "accounts-mfa-verify": {"get": SIGNED_IN},
    "accounts-password": {"get": SIGNED_IN},
    "accounts-list": {"get": ADMIN_ONLY},
    "accounts-sharing": {"get": MANAGER_ONLY},
    "accounts-share-grant": {"post": MANAGER_ONLY.returning(302)},
    "accounts-share-revoke": {"post": MANAGER_ONLY.returning(302)},
    "accounts-create": {"get": ADMIN_ONLY, "post": ADMIN_ONLY},
    "accounts-detail": {"get": ADMIN_ONLY, "post": ADMIN_ONLY.returning(302)},
    "accounts-disable": {"post": ADMIN_ONLY.returning(302)},
    "accounts-enable": {"post": ADMIN_ONLY.returning(302)},
    "accounts-unlock": {"post": ADMIN_ONLY.returning(302)},
    "accounts-reset-mfa": {"post": ADMIN_ONLY.returning(302)},
    "accounts-reset-password": {"post": ADMIN_ONLY},
    # Everyone makes their own API tokens; a token (here `investigator`'s) is revoked by its
    # user or by a Manager or administrator, and is not there (404) for anyone else.
    "accounts-api-tokens": {"get": SIGNED_IN, "post": SIGNED_IN},
    "accounts-api-token-revoke": {
        "post": MANAGER_OR_ADMIN.returning(302)
        .hiding("reader", "other_investigator")
        .but(investigator=302)
    },
    # vigil.audit.urls
    "audit-list": {"get": MANAGER_OR_ADMIN},
    "audit-export": {"get": MANAGER_OR_ADMIN},
    # vigil.messaging.urls
    "messaging-inbox": {"get": SIGNED_IN},
    # A message: its recipient and its sender (the test: `manager` to `investigator`).
    "messaging-detail": {"get": WRITE_OWN.hiding("reader", "other_investigator", "admin")},
    "messaging-send": {"post": SIGNED_IN.returning(302)},
    # vigil.tips.urls
    "tips-queue": {"get": READ_ALL},
    "tips-export": {"get": READ_ALL},
    # Bulk: the role gives the page; each action keeps to the tips the user may change (403 for none).
    "tips-bulk-priority": {"post": WRITE_OWN.returning(302)},
    "tips-bulk-take": {"post": WRITE_ALL.returning(302)},
    "tips-bulk-assign": {"post": MANAGER_ONLY.returning(302)},
    "tips-create": {"get": WRITE_ALL, "post": WRITE_ALL.returning(302)},
    "tips-extract": {"post": WRITE_ALL},
    "tips-selector-row": {"get": WRITE_ALL},
    "tips-search": {"get": READ_ALL},
    # vigil.search.urls: the search box of every page (data roles).
    "search-results": {"get": READ_ALL},
    "tips-sources": {"get": SIGNED_IN},
    "tips-source-create": {"get": MANAGER_OR_ADMIN, "post": MANAGER_OR_ADMIN.returning(302)},
    "tips-source-edit": {"get": MANAGER_OR_ADMIN},
    "tips-import": {"get": WRITE_ALL},
    # An import is its creator's or a Manager's: 404 for anyone else.
    "tips-import-detail": {"get": WRITE_OWN.hiding("reader", "other_investigator", "admin")},
    "tips-import-progress": {"get": WRITE_OWN.hiding("reader", "other_investigator", "admin")},
    "tips-import-resume": {
        "post": WRITE_OWN.returning(302).hiding("reader", "other_investigator", "admin")
    },
    "tips-detail": {"get": READ_ALL.on_record()},
    "tips-edit": {"get": WRITE_OWN.on_record()},
    "tips-triage": {"post": WRITE_OWN.returning(302).on_record()},
    "tips-priority": {"post": WRITE_OWN.returning(302).on_record()},
    # An unassigned tip, taken with assignee=me.
    "tips-assign": {"post": WRITE_ALL.returning(302).on_record()},
    "tips-selector-add": {"post": WRITE_OWN.returning(302).on_record()},
    "tips-selector-confirm": {"post": WRITE_OWN.returning(302).on_record()},
    "tips-selector-remove": {"post": WRITE_OWN.returning(302).on_record()},
    "tips-note-add": {"post": WRITE_OWN.returning(302).on_record()},
    "tips-note-attachment": {"get": READ_ALL.on_record()},
    "tips-evidence-add": {"post": WRITE_OWN.returning(302).on_record()},
    "tips-evidence-transfer": {"post": WRITE_OWN.returning(302).on_record()},
    # vigil.deconfliction.urls
    "deconfliction-flags": {"get": READ_ALL},
    "deconfliction-flag-link": {"post": WRITE_OWN.returning(302).on_record()},
    "deconfliction-flag-dismiss": {"post": WRITE_OWN.returning(302).on_record()},
    "deconfliction-link-remove": {"post": MANAGER_OR_ADMIN.returning(302)},
    "deconfliction-tip": {"get": READ_ALL.on_record()},
    "deconfliction-tip-panel": {"get": READ_ALL.on_record()},
    "deconfliction-cluster": {"get": READ_ALL.on_record()},
    "deconfliction-cluster-json": {"get": READ_ALL.on_record()},
    "deconfliction-warning-list": {"get": SIGNED_IN},
    "deconfliction-warning-add": {"post": MANAGER_OR_ADMIN.returning(302)},
    "deconfliction-warning-remove": {"post": MANAGER_OR_ADMIN.returning(302)},
    # vigil.victimid.urls
    "victimid-series-list": {"get": READ_ALL},
    "victimid-series-create": {"get": WRITE_ALL, "post": WRITE_ALL.returning(302)},
    "victimid-series-detail": {"get": READ_ALL.on_record()},
    # A series created by `investigator`: its creator and the Managers change it.
    "victimid-series-edit": {
        "get": WRITE_OWN.on_record(),
        "post": WRITE_OWN.returning(302).on_record(),
    },
    "victimid-series-delete": {"post": MANAGER_ONLY.returning(302).on_record()},
    "victimid-series-add-media": {"post": WRITE_OWN.returning(302).on_record()},
    "victimid-media-thumb": {"get": READ_ALL.on_record()},
    "victimid-media-reveal": {"post": READ_ALL.on_record()},
    "victimid-request-list": {"get": READ_ALL},
    "victimid-request-create": {"get": WRITE_ALL, "post": WRITE_ALL.returning(302)},
    "victimid-request-detail": {"get": READ_ALL.on_record()},
    "victimid-request-progress": {"get": READ_ALL.on_record()},
    "victimid-request-report-json": {"get": READ_ALL.on_record()},
    "victimid-request-report-pdf": {"get": READ_ALL.on_record()},
    "victimid-request-new-material": {"post": WRITE_ALL.returning(302).on_record()},
    "victimid-request-export": {"post": WRITE_ALL.on_record()},
    # The link works in the session that made the export (the test exports as each role).
    "victimid-request-export-download": {"get": WRITE_ALL.on_record()},
    # vigil.stats.urls
    "stats-page": {"get": MANAGER_ONLY},
    "stats-export-csv": {"get": MANAGER_ONLY},
    "stats-export-xlsx": {"get": MANAGER_ONLY},
    # vigil.retention.urls
    "retention-disposition": {"get": MANAGER_ONLY},
    "retention-propose": {"post": MANAGER_ONLY.returning(302)},
    "retention-approve": {"post": MANAGER_ONLY.returning(302)},
    "retention-reject": {"post": MANAGER_ONLY.returning(302)},
    "retention-holds": {"get": MANAGER_ONLY, "post": MANAGER_ONLY.returning(302)},
    "retention-hold": {"get": MANAGER_ONLY, "post": MANAGER_ONLY.returning(302)},
    "retention-hold-release": {"post": MANAGER_ONLY.returning(302)},
    "retention-tip-panel": {"get": READ_ALL.on_record()},
    "retention-report-inaccuracy": {"post": WRITE_OWN.returning(302).on_record()},
    "retention-corrections": {"get": MANAGER_ONLY},
    "retention-correction-review": {"get": MANAGER_ONLY, "post": MANAGER_ONLY.returning(302)},
    "retention-access-review": {"get": MANAGER_ONLY},
    "retention-access-certify": {"post": MANAGER_ONLY.returning(302)},
    # vigil.lookups.urls
    "lookups-tip-panel": {"get": READ_ALL.on_record()},
    "lookups-tip-rdap": {"post": WRITE_ALL.returning(302).on_record()},
    "lookups-settings": {"get": MANAGER_OR_ADMIN, "post": ADMIN_ONLY.returning(302)},
    "lookups-providers": {"get": SIGNED_IN},
    "lookups-provider-new": {"get": MANAGER_OR_ADMIN, "post": MANAGER_OR_ADMIN.returning(302)},
    "lookups-provider-import": {"get": MANAGER_OR_ADMIN, "post": MANAGER_OR_ADMIN.returning(302)},
    "lookups-provider-edit": {"get": MANAGER_OR_ADMIN, "post": MANAGER_OR_ADMIN.returning(302)},
    "lookups-provider-delete": {"post": MANAGER_OR_ADMIN.returning(302)},
    "lookups-mapping-add": {"post": MANAGER_OR_ADMIN.returning(302)},
    "lookups-mapping-remove": {"post": MANAGER_OR_ADMIN.returning(302)},
    # vigil.subpoenas.urls
    "subpoenas-queue": {"get": READ_ALL},
    "subpoenas-template": {"get": MANAGER_ONLY, "post": MANAGER_ONLY.returning(302)},
    "subpoenas-tip-panel": {"get": READ_ALL.on_record()},
    "subpoenas-draft": {"post": WRITE_OWN.returning(302).on_record()},
    "subpoenas-detail": {"get": READ_ALL.on_record()},
    "subpoenas-pdf": {"get": WRITE_OWN.on_record()},
    "subpoenas-approve": {"post": MANAGER_ONLY.returning(302).on_record()},
    "subpoenas-serve": {"post": WRITE_OWN.returning(302).on_record()},
    "subpoenas-respond": {"post": WRITE_OWN.returning(302).on_record()},
    "subpoenas-close": {"post": WRITE_OWN.returning(302).on_record()},
    "subpoenas-contradiction": {"post": WRITE_OWN.returning(302).on_record()},
    "subpoenas-attach": {"post": WRITE_OWN.returning(302).on_record()},
    "subpoenas-document": {"get": WRITE_OWN.on_record()},
    # vigil.referrals.urls
    "referrals-list": {"get": READ_ALL},
    "referrals-create": {
        "get": WRITE_OWN.on_record(),
        "post": WRITE_OWN.returning(302).on_record(),
    },
    "referrals-detail": {"get": READ_ALL.on_record(), "post": WRITE_OWN.returning(302).on_record()},
    "referrals-send": {"post": WRITE_OWN.returning(302).on_record()},
    "referrals-acknowledge": {"post": WRITE_OWN.returning(302).on_record()},
    "referrals-open-case": {"post": WRITE_OWN.returning(302).on_record()},
    "referrals-decline": {"post": WRITE_OWN.returning(302).on_record()},
    "referrals-delete": {"post": MANAGER_ONLY.returning(302).on_record()},
    "referrals-follow-up": {"post": WRITE_OWN.returning(302).on_record()},
    "referrals-follow-up-answer": {"post": WRITE_OWN.returning(302).on_record()},
    "referrals-packet-pdf": {"get": READ_ALL.on_record()},
    "referrals-packet-json": {"get": READ_ALL.on_record()},
    "referrals-tip-panel": {"get": READ_ALL.on_record()},
    "referrals-jurisdiction": {"get": READ_ALL.on_record()},
    "referrals-directory": {"get": READ_ALL},
    "referrals-office-create": {"get": MANAGER_ONLY, "post": MANAGER_ONLY.returning(302)},
    "referrals-office": {
        "get": READ_ALL.on_record(),
        "post": MANAGER_ONLY.returning(302).on_record(),
    },
    "referrals-shares": {"get": READ_ALL},
    # The assigned investigator with the share grant; the test grants `other_investigator`
    # too (not their case) and not `manager`.
    "referrals-share-create": {"get": OWNER_ONLY, "post": OWNER_ONLY},
    "referrals-share-download": {"get": WRITE_OWN.on_record()},
    "referrals-disclosures": {"get": READ_ALL},
    "referrals-disclosures-csv": {"get": READ_ALL},
    "referrals-disclosures-record": {"get": READ_ALL},
    "referrals-disclosures-agency": {"get": READ_ALL.on_record()},
    # vigil.exchange.urls
    "exchange-partner-list": {"get": READ_ALL},
    "exchange-partner-create": {"get": MANAGER_ONLY, "post": MANAGER_ONLY.returning(302)},
    "exchange-partner-detail": {"get": READ_ALL.on_record()},
    "exchange-partner-edit": {
        "get": MANAGER_ONLY.on_record(),
        "post": MANAGER_ONLY.returning(302).on_record(),
    },
    "exchange-partner-status": {"post": MANAGER_ONLY.returning(302).on_record()},
    "exchange-token-issue": {"post": MANAGER_ONLY.on_record()},
    "exchange-token-revoke": {"post": MANAGER_ONLY.returning(302).on_record()},
    "exchange-partner-sync": {"post": MANAGER_ONLY.returning(302).on_record()},
    "exchange-identity": {"get": MANAGER_ONLY},
    "exchange-import": {"get": WRITE_ALL, "post": WRITE_ALL.returning(302)},
    "exchange-import-detail": {"get": WRITE_OWN},
    "exchange-import-progress": {"get": WRITE_OWN},
    # Without the share grant nobody exports; the POST test grants it to these two.
    "exchange-export": {"get": NOBODY, "post": WRITE_OWN},
    "exchange-transfer-list": {"get": READ_ALL},
    "exchange-conflict-list": {"get": READ_ALL},
    "exchange-conflict-decide": {"post": MANAGER_ONLY.returning(302).on_record()},
    # None
    "api-index": {"get": SIGNED_IN},
    # vigil.tips.api_urls
    "api-tips-list": {"get": READ_ALL, "post": WRITE_ALL.returning(201)},
    "api-tips-detail": {"get": READ_ALL.on_record(), "patch": WRITE_OWN.on_record()},
    "api-tips-selectors": {"post": WRITE_OWN.returning(201).on_record()},
    "api-tips-selector-delete": {"delete": WRITE_OWN.returning(204).on_record()},
    "api-tips-triage": {"post": WRITE_OWN.on_record()},
    # Bulk imports: any investigator or a Manager uploads; a job is its creator's (here
    # `investigator`'s) or a Manager's, 404 for anyone else (as tips-import-detail).
    "api-tips-imports": {"get": WRITE_ALL, "post": WRITE_ALL.returning(202)},
    "api-tips-import": {"get": WRITE_OWN.hiding("reader", "other_investigator", "admin")},
    # vigil.deconfliction.api_urls
    "api-deconfliction-flags": {"get": READ_ALL},
    "api-deconfliction-flag": {"get": READ_ALL.on_record()},
    "api-deconfliction-flag-link": {"post": WRITE_OWN.on_record()},
    "api-deconfliction-flag-dismiss": {"post": WRITE_OWN.on_record()},
    "api-deconfliction-shared": {"get": READ_ALL.on_record()},
    "api-deconfliction-shared-link": {"post": WRITE_OWN.on_record()},
    "api-deconfliction-shared-dismiss": {"post": WRITE_OWN.on_record()},
    "api-deconfliction-links": {"get": READ_ALL, "post": WRITE_OWN.returning(201)},
    "api-deconfliction-link-remove": {"post": MANAGER_OR_ADMIN},
    "api-deconfliction-cluster": {"get": READ_ALL.on_record()},
    # vigil.victimid.api_urls
    "victimid-api-series": {"get": READ_ALL, "post": WRITE_ALL.returning(201)},
    # vigil.subpoenas.api_urls
    "api-subpoenas": {"get": READ_ALL, "post": WRITE_OWN.returning(201)},
    "api-subpoena": {"get": READ_ALL.on_record()},
    "api-subpoena-approve": {"post": MANAGER_ONLY.on_record()},
    "api-subpoena-serve": {"post": WRITE_OWN.on_record()},
    "api-subpoena-response": {"post": WRITE_OWN.on_record()},
    # vigil.exchange.api_urls
    "exchange-sync-changes": {"get": PARTNER_ONLY},
    "exchange-sync-push": {"post": PARTNER_ONLY},
    # None
    "api-schema": {"get": SIGNED_IN},
    "api-docs": {"get": SIGNED_IN},
}
