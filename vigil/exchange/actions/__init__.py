"""Every change the exchange app makes: permission check, change, audit row, follow-ups.

Records received from a partner are applied in batches (`apply_batch`), each
batch audited with the partner, the records and the direction; what is sent
is audited the same way and announced through `vigil.core.signals.disclosed`.
"""

from __future__ import annotations

from vigil.exchange import rules as rules  # packages and sync read actions.rules
from vigil.exchange.actions.common import BATCH, PURPOSE, SEND_BATCH, new_transfer

# Not public; used by other modules of the app through this path.
from vigil.exchange.actions.common import _require as _require
from vigil.exchange.actions.common import _who as _who
from vigil.exchange.actions.conflicts import do_decide_conflict
from vigil.exchange.actions.importing import (
    audit_received,
    do_import_vics,
    do_queue_vics_import,
    finish_transfer,
    import_stream,
    take_records,
)
from vigil.exchange.actions.packaging import (
    do_attach_media_file,
    do_finish_package_export,
    do_finish_package_import,
    do_number_package,
)
from vigil.exchange.actions.partners import (
    authenticate_token,
    do_create_partner,
    do_issue_token,
    do_record_api_refusal,
    do_revoke_token,
    do_set_partner_status,
    do_set_sync_credentials,
    do_update_partner,
    may_read,
    partner_by_name,
    token_for_view,
)
from vigil.exchange.actions.pushing import PushRefused, do_receive_push, do_record_push_sent
from vigil.exchange.actions.receiving import (
    Counts,
    apply_batch,
    apply_series,
    apply_tombstones,
    require_receiving,
)
from vigil.exchange.actions.sending import (
    IdRuns,
    audit_sent,
    canonical,
    canonical_query,
    canonical_rows,
    check_may_send,
    check_partner_receives,
    disclose_sent,
    do_export_vics,
    exportable,
    iter_canonical,
    note_deleted,
)
from vigil.exchange.actions.syncing import do_apply_sync_batch, do_record_sync_sent

__all__ = [
    "BATCH",
    "Counts",
    "IdRuns",
    "PURPOSE",
    "PushRefused",
    "SEND_BATCH",
    "apply_batch",
    "apply_series",
    "apply_tombstones",
    "audit_received",
    "audit_sent",
    "authenticate_token",
    "canonical",
    "canonical_query",
    "canonical_rows",
    "check_may_send",
    "check_partner_receives",
    "disclose_sent",
    "do_apply_sync_batch",
    "do_attach_media_file",
    "do_create_partner",
    "do_decide_conflict",
    "do_export_vics",
    "do_finish_package_export",
    "do_finish_package_import",
    "do_import_vics",
    "do_issue_token",
    "do_record_api_refusal",
    "do_number_package",
    "do_queue_vics_import",
    "do_receive_push",
    "do_record_push_sent",
    "do_record_sync_sent",
    "do_revoke_token",
    "do_set_partner_status",
    "do_set_sync_credentials",
    "do_update_partner",
    "exportable",
    "finish_transfer",
    "import_stream",
    "iter_canonical",
    "may_read",
    "new_transfer",
    "note_deleted",
    "partner_by_name",
    "require_receiving",
    "take_records",
    "token_for_view",
]
