"""Write path of subpoenas: draft, approve, serve, response, chain, close, render, template."""

from __future__ import annotations

from vigil.subpoenas.actions.common import (
    IDENTIFIER_TYPES,
    MAX_LINES,
    MAX_RESPONSE_CSV,
    MAX_RESPONSE_FILE,
    RESPONSE_STATES,
    S,
    can_write,
    validate_categories,
)
from vigil.subpoenas.actions.documents import (
    do_attach_response_document,
    do_update_template,
    open_response_document,
    preview_template,
    render_subpoena,
)
from vigil.subpoenas.actions.drafting import (
    do_approve_subpoena,
    do_draft_subpoena,
    do_serve_subpoena,
)
from vigil.subpoenas.actions.responses import (
    do_close_subpoena,
    do_mark_contradiction,
    do_record_response,
    parse_response_csv,
)

__all__ = [
    "IDENTIFIER_TYPES",
    "MAX_LINES",
    "MAX_RESPONSE_CSV",
    "MAX_RESPONSE_FILE",
    "RESPONSE_STATES",
    "S",
    "can_write",
    "do_approve_subpoena",
    "do_attach_response_document",
    "do_close_subpoena",
    "do_draft_subpoena",
    "do_mark_contradiction",
    "do_record_response",
    "do_serve_subpoena",
    "do_update_template",
    "open_response_document",
    "parse_response_csv",
    "preview_template",
    "render_subpoena",
    "validate_categories",
]
