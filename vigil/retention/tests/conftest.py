from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from vigil.deconfliction.models import Flag, Link
from vigil.testing.personas import make_user
from vigil.tips import actions as tip_actions
from vigil.tips.models import ResearchNote, Selector, Source, Tip

OLD = timezone.now() - dt.timedelta(days=365 * 76)


@pytest.fixture(autouse=True)
def _uploads(settings, tmp_path):
    settings.UPLOAD_DIR = tmp_path / "uploads"
    settings.DATA_DIR = tmp_path


@pytest.fixture
def source(db):
    return Source.objects.create(name="Field Office Alpha", kind=Source.Kind.FIELD_OFFICE)


def age(tip: Tip, when: dt.datetime = OLD) -> Tip:
    """Make every activity on the tip (and what hangs off it) happen at `when`."""
    Tip.objects.filter(pk=tip.pk).update(updated_at=when, created_at=when)
    Selector.objects.filter(tip=tip).update(created_at=when)
    ResearchNote.objects.filter(tip=tip).update(created_at=when)
    tip.refresh_from_db()
    return tip


@pytest.fixture
def make_tip(personas, source):
    def make(ref: str, *, old: bool = True, **kw) -> Tip:
        tip = tip_actions.do_create_tip(
            actor=personas.manager,
            source=source,
            source_reference=ref,
            narrative=kw.pop("narrative", "Suspect seen online"),
            selectors=kw.pop("selectors", [tip_actions.SelectorInput("ip", "203.0.113.9")]),
            **kw,
        )
        tip_actions.do_assign_tip(tip, personas.investigator, actor=personas.manager)
        return age(tip) if old else tip

    return make


@pytest.fixture
def second_manager(db):
    return make_user("mona", "manager")


def link(a: Tip, b: Tip, actor) -> Link:
    a, b = sorted([a, b], key=lambda t: t.pk)
    flag = Flag.objects.filter(tip_a=a, tip_b=b).first()
    return Link.objects.create(tip_a=a, tip_b=b, flag=flag, created_by=actor)
