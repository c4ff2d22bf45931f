"""`vigil rotate_keys`: a new master key, the old one kept readable until everything moved."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from vigil.audit.models import AuditEvent
from vigil.deconfliction.models import Flag
from vigil.lib import crypto
from vigil.tips import actions as tip_actions
from vigil.tips.actions import SelectorInput
from vigil.tips.models import Selector, Source
from vigil.victimid import actions as vid_actions
from vigil.victimid import storage
from vigil.victimid.models import Media
from vigil.victimid.tests.conftest import pattern


@pytest.fixture
def data(personas, settings, tmp_path):
    settings.FIELD_KEY = "old master key"
    settings.FIELD_KEYS_PREVIOUS = []
    settings.MEDIA_STORE_DIR = tmp_path / "media"
    crypto._derive.cache_clear()
    src = Source.objects.create(name="NCMEC", kind=Source.Kind.NCMEC)
    for ref in ("R-1", "R-2"):
        tip_actions.do_create_tip(
            actor=personas.manager,
            source=src,
            source_reference=ref,
            selectors=[SelectorInput(type="ssn", raw="123-45-6789")],
            extract=False,
        )
    series = vid_actions.do_create_series(
        actor=personas.manager,
        data={"name": "Keys", "victim_identified": False, "contact_agency": "Demo (fictitious)"},
    )
    vid_actions.do_add_media(series, actor=personas.manager, data=pattern(7), filename="p.jpg")
    media = Media.objects.get()
    return {"media": media, "sealed": (settings.MEDIA_STORE_DIR / media.stored_path).read_bytes()}


def _rotate(*args) -> str:
    out = io.StringIO()
    call_command("rotate_keys", *args, stdout=out)
    return out.getvalue()


def test_it_rewraps_media_keys_and_rekeys_fields_without_touching_media(data, settings):
    flag = Flag.objects.get(type="ssn")
    old_hash = Selector.objects.filter(type="ssn").first().value
    assert flag.value == old_hash
    settings.FIELD_KEY, settings.FIELD_KEYS_PREVIOUS = "new master key", ["old master key"]
    crypto._derive.cache_clear()
    # Readable during the rotation through the previous key.
    assert storage.read(data["media"].stored_path, data["media"].wrapped_key) is not None

    assert "would change" in _rotate("--dry-run")
    assert Media.objects.get().wrapped_key == data["media"].wrapped_key

    out = _rotate()
    assert "victimid: media file keys: 1" in out and "tips: encrypted selectors: 2" in out
    media = Media.objects.get()
    assert bytes(media.wrapped_key) != bytes(data["media"].wrapped_key)
    # The sealed file is byte for byte what it was: only its 32-byte key was re-wrapped.
    assert (settings.MEDIA_STORE_DIR / media.stored_path).read_bytes() == data["sealed"]
    new_hash = crypto.keyed_hash("ssn", "123456789")
    assert set(Selector.objects.filter(type="ssn").values_list("value", flat=True)) == {new_hash}
    assert Flag.objects.get(type="ssn").value == new_hash
    assert AuditEvent.objects.filter(action="keys.rotate").count() == 1

    # Without the old key everything still opens; a second run finds nothing left.
    settings.FIELD_KEYS_PREVIOUS = []
    crypto._derive.cache_clear()
    assert storage.read(media.stored_path, media.wrapped_key)
    for s in Selector.objects.filter(type="ssn"):
        assert crypto.decrypt_field(s.encrypted) == "123456789"
    assert "Re-keyed 0 items" in _rotate()


def test_it_changes_nothing_when_the_old_key_is_not_given(data, settings):
    before = bytes(Media.objects.get().wrapped_key)
    settings.FIELD_KEY = "new master key"
    crypto._derive.cache_clear()
    with pytest.raises(CommandError, match="Nothing was changed"):
        _rotate()
    assert bytes(Media.objects.get().wrapped_key) == before
    assert not AuditEvent.objects.filter(action="keys.rotate").exists()
