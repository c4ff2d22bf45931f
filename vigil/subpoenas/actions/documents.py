"""Documents: the provider's response document (stored encrypted), the rendered subpoena and
its template."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from vigil.accounts import access
from vigil.audit.log import record
from vigil.subpoenas import document
from vigil.subpoenas.actions.common import (
    MAX_RESPONSE_FILE,
    RESPONSE_STATES,
    S,
    _require_status,
    _require_write,
)
from vigil.subpoenas.models import Subpoena, SubpoenaTemplate
from vigil.victimid import storage


def do_attach_response_document(subpoena: Subpoena, upload: Any, *, actor: Any) -> Subpoena:
    _require_write(actor, subpoena)
    _require_status(subpoena, *RESPONSE_STATES, S.SERVED, S.CLOSED)
    data = upload.read(MAX_RESPONSE_FILE + 1)
    if len(data) > MAX_RESPONSE_FILE:
        raise ValidationError(
            f"The document is larger than {MAX_RESPONSE_FILE // (1024 * 1024)} MB."
        )
    if not data:
        raise ValidationError("The document is empty.")
    rel, key = storage.seal(data)
    old = subpoena.response_file_path
    try:
        with transaction.atomic():
            subpoena.response_file_name = (getattr(upload, "name", "") or "response")[:255]
            subpoena.response_file_path = rel
            subpoena.response_file_key = key
            subpoena.response_file_size = len(data)
            subpoena.response_file_sha256 = hashlib.sha256(data).hexdigest()
            subpoena.save()
            record(
                "subpoena.response_document",
                actor=actor,
                obj=subpoena,
                changes={
                    "name": subpoena.response_file_name,
                    "size": len(data),
                    "sha256": subpoena.response_file_sha256,
                },
                summary=f"response document for {subpoena.reference} (sealed)",
            )
    except Exception:
        storage.delete(rel)
        raise
    if old:
        transaction.on_commit(lambda: storage.delete(old))
    return subpoena


def open_response_document(subpoena: Subpoena, *, actor: Any) -> bytes:
    if not subpoena.response_file_path:
        raise ValidationError("No response document is attached.")
    data = storage.read(subpoena.response_file_path, bytes(subpoena.response_file_key))
    record(
        "subpoena.response_document_open",
        actor=actor,
        obj=subpoena,
        changes={"sha256": subpoena.response_file_sha256},
        summary=subpoena.reference,
    )
    return data


# --- documents and template -------------------------------------------------------------------


def render_subpoena(subpoena: Subpoena, *, actor: Any) -> bytes:
    """The PDF, rendered now and never stored. Every render is audited."""
    _require_write(actor, subpoena)
    pdf = document.render_pdf(document.context_for(subpoena))
    record(
        "subpoena.render",
        actor=actor,
        obj=subpoena,
        changes={"status": subpoena.status, "sha256": hashlib.sha256(pdf).hexdigest()},
        summary=f"{subpoena.reference} rendered ({len(pdf):,} bytes)",
    )
    return pdf


def do_update_template(
    *, actor: Any, body: str, issuing_office: str, return_instructions: str
) -> SubpoenaTemplate:
    if not access.is_manager(actor):
        raise PermissionDenied("Only a manager edits the subpoena template.")
    body = (body or "").strip()
    if not body:
        raise ValidationError("The template cannot be empty.")
    try:
        document.compile_body(body)
    except document.TemplateError as exc:
        raise ValidationError(str(exc)) from None
    if not (issuing_office or "").strip():
        raise ValidationError("Name the issuing office.")
    if not (return_instructions or "").strip():
        raise ValidationError("Give the return instructions.")
    with transaction.atomic():
        before = document.current_template()
        tpl = SubpoenaTemplate.objects.create(
            body=body,
            issuing_office=issuing_office.strip(),
            return_instructions=return_instructions.strip(),
            updated_by=actor,
        )
        record(
            "subpoena.template_update",
            actor=actor,
            obj=tpl,
            changes={
                "body_sha256": hashlib.sha256(body.encode()).hexdigest(),
                "body_changed": before.body != body,
                "issuing_office": issuing_office.strip(),
                "return_instructions": return_instructions.strip(),
            },
            summary="subpoena template updated",
        )
    return tpl


def preview_template(*, actor: Any, body: str | None = None) -> bytes:
    if not access.is_manager(actor):
        raise PermissionDenied("Only a manager previews the subpoena template.")
    try:
        pdf = document.render_pdf(document.sample_context(), body)
    except document.TemplateError as exc:
        raise ValidationError(str(exc)) from None
    record("subpoena.template_preview", actor=actor, object_type="subpoenas.subpoenatemplate")
    return pdf
