"""Research notes (append-only, optionally with a sealed attachment)."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from vigil.audit.log import record
from vigil.lib import crypto
from vigil.tips import search
from vigil.tips.actions.common import MAX_NARRATIVE, require_write
from vigil.tips.models import ResearchNote, Tip

MAX_ATTACHMENT = 50 * 1024 * 1024


class _Measured:
    """A file read once: its SHA-256 and size on the way, refused past `limit` bytes."""

    def __init__(self, fh: Any, limit: int):
        self.fh, self.limit, self.total, self.digest = fh, limit, 0, hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self.fh.read(n)
        self.total += len(data)
        if self.total > self.limit:
            raise ValidationError("The attachment is too large.")
        self.digest.update(data)
        return data


def do_add_research_note(
    tip: Tip, body: str, *, actor: Any, attachment: Any = None
) -> ResearchNote:
    """Append a note. `attachment` (an uploaded file) holds research results, never evidence."""
    require_write(tip, actor)
    body = (body or "").strip()
    if not body:
        raise ValidationError("A note needs some text.")
    if len(body) > MAX_NARRATIVE:
        raise ValidationError(f"note: longer than {MAX_NARRATIVE:,} characters")
    note = ResearchNote(tip=tip, author=actor, body=body)
    stored: Path | None = None
    if attachment is not None:
        size = getattr(attachment, "size", None)
        if size is not None and size > MAX_ATTACHMENT:
            raise ValidationError(
                f"The attachment is larger than {MAX_ATTACHMENT // (1024 * 1024)} MB."
            )
        # Sealed like media (it may hold what research found about a person).
        rel = Path("research") / str(tip.pk) / f"{uuid.uuid4().hex}.sealed"
        stored = Path(settings.UPLOAD_DIR) / rel
        if hasattr(attachment, "seek"):
            attachment.seek(0)
        measured = _Measured(attachment, MAX_ATTACHMENT)
        try:
            note.attachment_key = crypto.seal_file(measured, stored)  # type: ignore[arg-type]
        except ValidationError:
            stored.with_name(stored.name + ".part").unlink(missing_ok=True)
            raise
        digest, total = measured.digest, measured.total
        note.attachment_name = Path(attachment.name or "attachment").name[:255]
        note.attachment_path = str(rel)
        note.attachment_size = total
        note.attachment_sha256 = digest.hexdigest()
    try:
        with transaction.atomic():
            note.save()
            search.index_note(note.pk, tip.pk, body)
            record(
                "tip.note_add",
                actor=actor,
                obj=tip,
                changes={
                    "note": note.pk,
                    **(
                        {"attachment": note.attachment_name, "sha256": note.attachment_sha256}
                        if stored
                        else {}
                    ),
                },
                summary=f"research note #{note.pk}",
            )
    except Exception:
        if stored is not None:
            stored.unlink(missing_ok=True)
        raise
    return note
