"""Tip pages: queue, detail, create, search, sources, bulk import. Thin views over actions.

One module per page group (common.py holds what they share: `get_tip`, the one
way to fetch a tip for a request, also used by the API). urls.py and the
dashboard registry ("vigil.tips.views.dashboard_panel") name the views here.
"""

from vigil.tips.views.directory import source_edit, sources
from vigil.tips.views.imports import import_detail, import_progress, import_resume, import_upload
from vigil.tips.views.intake import create, extract, selector_row
from vigil.tips.views.listing import dashboard_panel, export, queue
from vigil.tips.views.research import evidence_add, evidence_transfer, note_add, note_attachment
from vigil.tips.views.search import search_page
from vigil.tips.views.selection import bulk_assign, bulk_priority, bulk_take
from vigil.tips.views.selectors import selector_add, selector_confirm, selector_remove
from vigil.tips.views.tip_page import assign, detail, edit, priority, triage

__all__ = [
    "assign",
    "bulk_assign",
    "bulk_priority",
    "bulk_take",
    "create",
    "dashboard_panel",
    "detail",
    "edit",
    "evidence_add",
    "evidence_transfer",
    "export",
    "extract",
    "import_detail",
    "import_progress",
    "import_resume",
    "import_upload",
    "note_add",
    "note_attachment",
    "priority",
    "queue",
    "search_page",
    "selector_row",
    "selector_add",
    "selector_confirm",
    "selector_remove",
    "source_edit",
    "sources",
    "triage",
]
