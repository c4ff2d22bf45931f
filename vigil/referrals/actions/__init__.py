"""Every change in the referrals app: directory, referrals, follow-ups, shares, disclosures.

Each `do_*` checks permission, changes, audits and sends its follow-ups in one transaction.
"""

from __future__ import annotations

from vigil.referrals.actions.directory import (
    OFFICE_FIELDS,
    do_save_office,
    parse_areas,
    validate_age_recipient,
)

# Not public; used by other modules of the app through this path.
from vigil.referrals.actions.directory import _clean_office as _clean_office
from vigil.referrals.actions.disclosures import (
    MAX_RECORDS,
    do_record_disclosure,
    do_view_disclosures,
    on_disclosed,
)
from vigil.referrals.actions.referrals import (
    EDITABLE,
    cluster_ids,
    do_acknowledge_referral,
    do_answer_follow_up,
    do_create_referral,
    do_decline_referral,
    do_delete_referral,
    do_open_case,
    do_record_follow_up,
    do_send_referral,
    do_update_referral,
    do_view_packet,
    earlier_referrals,
    notify_correction,
    proposal_for,
    referral_records,
    referred_tips,
)
from vigil.referrals.actions.shares import (
    TamperedPackage,
    do_create_share,
    do_download_share,
    do_remove_expired_shares,
)

__all__ = [
    "EDITABLE",
    "MAX_RECORDS",
    "OFFICE_FIELDS",
    "TamperedPackage",
    "cluster_ids",
    "do_acknowledge_referral",
    "do_answer_follow_up",
    "do_create_referral",
    "do_create_share",
    "do_decline_referral",
    "do_delete_referral",
    "do_download_share",
    "do_open_case",
    "do_record_disclosure",
    "do_record_follow_up",
    "do_remove_expired_shares",
    "do_save_office",
    "do_send_referral",
    "do_update_referral",
    "do_view_disclosures",
    "do_view_packet",
    "earlier_referrals",
    "notify_correction",
    "on_disclosed",
    "parse_areas",
    "proposal_for",
    "referral_records",
    "referred_tips",
    "validate_age_recipient",
]
