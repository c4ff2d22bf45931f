import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from vigil.accounts import access
from vigil.tips.models import Source, Tip


@pytest.fixture
def tip(personas):
    source = Source.objects.create(name="Field office A")
    return Tip.objects.create(
        source=source,
        source_reference="T-1",
        received_at=timezone.now(),
        assigned_to=personas.investigator,
    )


def test_it_lets_everyone_with_a_data_role_read(personas, tip):
    for user in (
        personas.reader,
        personas.investigator,
        personas.other_investigator,
        personas.manager,
    ):
        assert access.get_for_user(Tip, user, tip.pk) == tip


def test_it_hides_records_from_an_administrator_without_a_data_role(personas, tip):
    with pytest.raises(Http404):
        access.get_for_user(Tip, personas.admin, tip.pk)


def test_it_lets_only_the_assigned_investigator_and_managers_write(personas, tip):
    assert access.get_for_user(Tip, personas.investigator, tip.pk, access.WRITE) == tip
    assert access.get_for_user(Tip, personas.manager, tip.pk, access.WRITE) == tip
    for user in (personas.reader, personas.other_investigator):
        with pytest.raises(PermissionDenied):
            access.get_for_user(Tip, user, tip.pk, access.WRITE)


def test_it_lets_only_managers_delete(personas, tip):
    assert access.get_for_user(Tip, personas.manager, tip.pk, access.DELETE) == tip
    with pytest.raises(PermissionDenied):
        access.get_for_user(Tip, personas.investigator, tip.pk, access.DELETE)


def test_it_answers_404_for_a_missing_or_malformed_id(personas):
    for pk in (999999, "abc"):
        with pytest.raises(Http404):
            access.get_for_user(Tip, personas.manager, pk)


def test_it_locks_out_a_locked_account(personas, tip):
    personas.manager.locked_at = timezone.now()
    with pytest.raises(Http404):
        access.get_for_user(Tip, personas.manager, tip.pk)
