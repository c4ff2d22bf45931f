"""check_list_queries fails for a list that runs one query per row (a deliberate N+1)."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.urls import path

from vigil.testing.personas import make_user
from vigil.testing.queries import check_list_queries

_n = itertools.count(1)


def _per_row(request):
    users = get_user_model().objects.all()
    return HttpResponse(", ".join(f"{u.username}:{u.groups.count()}" for u in users))


def _prefetched(request):
    users = get_user_model().objects.prefetch_related("groups")
    return HttpResponse(", ".join(f"{u.username}:{len(u.groups.all())}" for u in users))


urlpatterns = [path("per-row", _per_row), path("prefetched", _prefetched)]


def _users(n):
    for _ in range(n):
        make_user(f"row{next(_n)}")


@pytest.fixture
def urls(settings):
    settings.ROOT_URLCONF = __name__


def test_it_fails_for_one_query_per_row(client, personas, urls):
    with pytest.raises(AssertionError, match="queries with 1 row"):
        check_list_queries(client, personas.reader, "/per-row", _users, max_queries=50)


def test_it_passes_the_same_list_prefetched_and_bounds_it(client, personas, urls):
    check_list_queries(client, personas.reader, "/prefetched", _users, max_queries=10)
    with pytest.raises(AssertionError, match="more than 1"):
        check_list_queries(client, personas.reader, "/prefetched", _users, max_queries=1)
