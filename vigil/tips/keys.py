"""Key rotation for tips (`vigil rotate_keys`): encrypted selectors (SSNs, card numbers).

Each is decrypted with whichever key opens it, encrypted again under the current key, and its
keyed hash recomputed; `context["keyed_hashes"]` maps (type, old hash) to the new one for the apps
that copied the hash (deconfliction).
"""

from __future__ import annotations

from vigil.lib import crypto
from vigil.tips.models import Selector


def rotate(context: dict, *, dry_run: bool) -> dict[str, int]:
    mapping: dict[tuple[str, str], str] = context.setdefault("keyed_hashes", {})
    changed = 0
    rows = Selector.objects.filter(encrypted__isnull=False).only("id", "type", "value", "encrypted")
    for selector in rows.iterator(chunk_size=2000):
        value = crypto.decrypt_field(selector.encrypted)
        new_hash = crypto.keyed_hash(selector.type, value)
        current = crypto.field_is_current(selector.encrypted)
        if current and new_hash == selector.value:
            continue
        changed += 1
        if new_hash != selector.value:
            mapping[(selector.type, selector.value)] = new_hash
        if not dry_run:
            Selector.objects.filter(pk=selector.pk).update(
                value=new_hash,
                encrypted=selector.encrypted if current else crypto.encrypt_field(value),
            )
    return {"encrypted selectors": changed}
