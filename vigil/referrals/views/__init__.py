"""The referrals app's pages: referrals, the tip panel, the directory, shares, the accounting of disclosures, the dashboard panel."""

from __future__ import annotations

from vigil.referrals.views.directory import directory, office_edit
from vigil.referrals.views.disclosures import (
    disclosures,
    disclosures_csv,
    disclosures_for_agency,
    disclosures_for_record,
)
from vigil.referrals.views.referrals import (
    dashboard_panel,
    follow_up_answer,
    packet_json,
    packet_pdf,
    referral_acknowledge,
    referral_create,
    referral_decline,
    referral_delete,
    referral_detail,
    referral_follow_up,
    referral_list,
    referral_open_case,
    referral_send,
    tip_jurisdiction,
    tip_panel,
)
from vigil.referrals.views.shares import share_create, share_download, share_list

__all__ = [
    "dashboard_panel",
    "directory",
    "disclosures",
    "disclosures_csv",
    "disclosures_for_agency",
    "disclosures_for_record",
    "follow_up_answer",
    "office_edit",
    "packet_json",
    "packet_pdf",
    "referral_acknowledge",
    "referral_create",
    "referral_decline",
    "referral_delete",
    "referral_detail",
    "referral_follow_up",
    "referral_list",
    "referral_open_case",
    "referral_send",
    "share_create",
    "share_download",
    "share_list",
    "tip_jurisdiction",
    "tip_panel",
]
