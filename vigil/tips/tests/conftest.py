from __future__ import annotations

import pytest

from vigil.tips import actions
from vigil.tips.models import Source, Tip


@pytest.fixture(autouse=True)
def _uploads(settings, tmp_path):
    settings.UPLOAD_DIR = tmp_path / "uploads"
    settings.DATA_DIR = tmp_path


@pytest.fixture
def source(db):
    return Source.objects.create(
        name="Field Office Alpha", kind=Source.Kind.FIELD_OFFICE, country="US"
    )


@pytest.fixture
def tip(personas, source):
    """A tip assigned to personas.investigator."""
    t = actions.do_create_tip(
        actor=personas.manager,
        source=source,
        source_reference="FOA-1",
        narrative="Suspect uses bob.suspect@example.com and 203.0.113.7",
        selectors=[actions.SelectorInput("phone", "+1 202 555 0143")],
    )
    actions.do_assign_tip(t, personas.investigator, actor=personas.manager)
    t.refresh_from_db()
    return t


def make_tip(actor, source, ref, narrative="", **kw) -> Tip:
    return actions.do_create_tip(
        actor=actor, source=source, source_reference=ref, narrative=narrative, **kw
    )


@pytest.fixture
def refuse_selector_raw(db):
    """The database itself refuses one selector row (a trigger): the tip row before it is written."""
    from django.db import connection

    raw = "203.0.113.2"
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "CREATE FUNCTION vigil_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN IF NEW.raw = '{raw}' THEN RAISE EXCEPTION 'disk full'; END IF; "
                "RETURN NEW; END $$"
            )
            cur.execute(
                "CREATE TRIGGER vigil_test_refuse BEFORE INSERT ON tips_selector "
                "FOR EACH ROW EXECUTE FUNCTION vigil_test_refuse()"
            )
        else:
            cur.execute(
                "CREATE TRIGGER vigil_test_refuse BEFORE INSERT ON tips_selector "
                f"WHEN NEW.raw = '{raw}' BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )
    yield raw
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("DROP TRIGGER vigil_test_refuse ON tips_selector")
            cur.execute("DROP FUNCTION vigil_test_refuse()")
        else:
            cur.execute("DROP TRIGGER vigil_test_refuse")
