from __future__ import annotations

import datetime as dt

import pytest

from vigil.lookups import actions as lookup_actions
from vigil.tips import actions as tip_actions
from vigil.tips.models import Source

OBSERVED = dt.datetime(2026, 11, 3, 14, 22, 5, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _dirs(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.UPLOAD_DIR = tmp_path / "uploads"
    settings.MEDIA_STORE_DIR = tmp_path / "media"


@pytest.fixture
def source(db):
    return Source.objects.create(name="Field Office Alpha", country="US")


@pytest.fixture
def provider(personas):
    p = lookup_actions.do_create_provider(
        actor=personas.manager,
        name="Example Cable",
        legal_contact="Legal Compliance",
        legal_email="subpoenas@cable.example",
        address="1 Main Street\nSpringfield",
        service_method="email",
    )
    lookup_actions.do_add_mapping(p, "email_domain", "cable.example", actor=personas.manager)
    return p


@pytest.fixture
def tip(personas, source):
    """A tip assigned to personas.investigator with an IP (observed), an e-mail and an online ID."""
    t = tip_actions.do_create_tip(
        actor=personas.manager,
        source=source,
        source_reference="FOA-17",
        narrative="",
        selectors=[
            tip_actions.SelectorInput("ip", "203.0.113.7", observed_at=OBSERVED, port=51234),
            tip_actions.SelectorInput("email", "user17@cable.example"),
            tip_actions.SelectorInput("online_id", "handle17", platform="instagram"),
        ],
    )
    tip_actions.do_assign_tip(t, personas.investigator, actor=personas.manager)
    t.refresh_from_db()
    return t


def selector_ids(tip, *types):
    return list(tip.selectors.filter(type__in=types).values_list("pk", flat=True))
