"""Migration 0004 gives person selectors stored before issue 15 the new keys."""

import datetime
from importlib import import_module

from django.apps import apps

from vigil.deconfliction.models import PersonKey
from vigil.lib import names
from vigil.tips import actions
from vigil.tips.actions import SelectorInput
from vigil.tips.models import Source


def test_it_adds_the_new_blocking_keys_to_old_person_selectors(personas, db):
    source = Source.objects.create(name="Office", kind=Source.Kind.FIELD_OFFICE, country="US")
    tip = actions.do_create_tip(
        actor=personas.investigator,
        source=source,
        narrative="n",
        selectors=[SelectorInput("person", "John Smith", details={"dob": "1980-05-06"})],
    )
    sel = tip.selectors.get(type="person")
    PersonKey.objects.filter(selector=sel).delete()  # as stored before the migration
    import_module("vigil.deconfliction.migrations.0004_person_keys_v2").add_keys(apps, None)
    got = set(PersonKey.objects.filter(selector=sel).values_list("key", flat=True))
    assert got == names.name_keys(sel.value, datetime.date(1980, 5, 6))
    assert any(k.endswith("|@1980") for k in got)
