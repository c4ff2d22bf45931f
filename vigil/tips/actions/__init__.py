"""Every change to tips, selectors, notes, evidence and sources goes through here.

Each action checks the actor's rights, makes the change, writes the audit row
and sends the selector signals, all in one transaction. One module per concern
(Zulip's zerver/actions/ layout); this package re-exports them, so
`from vigil.tips.actions import do_create_tip` keeps working:

- common.py     limits, the write-scope check, shared validators
- selectors.py  SelectorInput, build_selector (validate + normalise), save, add/confirm/remove
- tips.py       do_create_tip, do_update_tip, do_import_tip_batch (one change function)
- triage.py     do_triage_tip, do_set_priority, do_assign_tip
- selection.py  many tips at once (queue selection, import batch): do_set_tips_priority,
                do_take_tips, do_assign_tips (one audit row per operation)
- notes.py      research notes;  evidence.py  the evidence log
- sources.py    the sources directory;  imports.py  bulk-import jobs
"""

from vigil.tips.actions.common import MAX_NARRATIVE, TIP_FIELDS, clean_country, require_write
from vigil.tips.actions.evidence import do_add_evidence_item, do_record_evidence_transfer
from vigil.tips.actions.imports import (
    do_finish_import,
    do_queue_import,
    do_refuse_import,
    do_resume_import,
)
from vigil.tips.actions.notes import MAX_ATTACHMENT, do_add_research_note
from vigil.tips.actions.selection import (
    SelectionOutcome,
    do_assign_tips,
    do_set_tips_priority,
    do_take_tips,
)
from vigil.tips.actions.selectors import (
    HASHED_TYPES,
    MAX_SELECTOR_RAW,
    TYPE_HELP,
    SelectorInput,
    build_selector,
    do_add_selectors,
    do_confirm_selector,
    do_remove_selector,
    emit_added,
    emit_added_bulk,
    extract_inputs,
    extracted_selectors,
    ip_observation,
    save_selectors,
)
from vigil.tips.actions.sources import (
    do_create_source,
    do_update_source,
    get_or_refuse_source,
)
from vigil.tips.actions.tips import (
    BatchOutcome,
    ImportItem,
    build_import_item,
    do_create_tip,
    do_import_tip_batch,
    do_update_tip,
    source_warning_for,
)
from vigil.tips.actions.triage import (
    TRIAGE_STATUSES,
    do_assign_tip,
    do_set_priority,
    do_triage_tip,
)

__all__ = [
    "BatchOutcome",
    "SelectionOutcome",
    "do_assign_tips",
    "do_set_tips_priority",
    "do_take_tips",
    "ImportItem",
    "build_import_item",
    "do_finish_import",
    "do_refuse_import",
    "do_import_tip_batch",
    "HASHED_TYPES",
    "MAX_ATTACHMENT",
    "MAX_NARRATIVE",
    "MAX_SELECTOR_RAW",
    "TIP_FIELDS",
    "TRIAGE_STATUSES",
    "TYPE_HELP",
    "SelectorInput",
    "build_selector",
    "clean_country",
    "do_add_evidence_item",
    "do_add_research_note",
    "do_add_selectors",
    "do_assign_tip",
    "do_confirm_selector",
    "do_create_source",
    "do_create_tip",
    "do_record_evidence_transfer",
    "do_remove_selector",
    "do_queue_import",
    "do_resume_import",
    "do_set_priority",
    "do_triage_tip",
    "do_update_source",
    "do_update_tip",
    "emit_added",
    "emit_added_bulk",
    "extract_inputs",
    "extracted_selectors",
    "get_or_refuse_source",
    "ip_observation",
    "require_write",
    "save_selectors",
    "source_warning_for",
]
