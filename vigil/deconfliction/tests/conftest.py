import importlib

import pytest
from django.apps import apps as django_apps


@pytest.fixture(autouse=True)
def _fresh_warning_list(monkeypatch):
    """Tests roll back between each other: never trust a cached warning list."""
    from vigil.deconfliction.actions import reference

    monkeypatch.setattr(reference, "WARNING_LIST_TTL", 0.0)


@pytest.fixture(autouse=True)
def _seeded_warning_list(request):
    """A transactional test (any app's) flushes the data migrations' rows: seed them again."""
    if request.node.get_closest_marker("django_db") is None:
        return
    from vigil.deconfliction.models import WarningListEntry

    if not WarningListEntry.objects.exists():
        seed = importlib.import_module("vigil.deconfliction.migrations.0002_seed_warning_list")
        seed.seed(django_apps, None)
