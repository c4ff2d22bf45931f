"""Every named URL is in the one role matrix (vigil/testing/matrix.py) and is run by a test."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, include, path

from vigil.testing.matrix import EXEMPT, MATRIX
from vigil.testing.roles import check_roles

VIGIL = Path(__file__).resolve().parents[2]


def url_names(patterns: Iterable[URLPattern | URLResolver]) -> Iterator[str]:
    """Every named pattern under `patterns`, included URLconfs too."""
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from url_names(p.url_patterns)
        elif p.name:
            yield p.name


def uncovered(patterns, matrix=MATRIX, exempt=EXEMPT) -> list[str]:
    return sorted({n for n in url_names(patterns) if n not in matrix and n not in exempt})


def stale(patterns, matrix=MATRIX, exempt=EXEMPT) -> list[str]:
    names = set(url_names(patterns))
    return sorted((set(matrix) | set(exempt)) - names)


def untested(matrix=MATRIX, tests_root: Path = VIGIL) -> list[str]:
    """Registry entries whose URL name no role-matrix test module mentions."""
    text = "\n".join(
        p.read_text()
        for p in tests_root.glob("*/tests/test_*.py")
        if "check_roles(" in p.read_text() and p.name != "test_role_coverage.py"
    )
    return sorted(n for n in matrix if f'"{n}"' not in text)


def test_every_named_url_has_a_matrix_entry():
    missing = uncovered(get_resolver().url_patterns)
    assert not missing, f"named URLs without an entry in vigil/testing/matrix.py: {missing}"


def test_the_matrix_names_no_url_that_is_gone():
    assert not stale(get_resolver().url_patterns)
    assert not set(MATRIX) & set(EXEMPT)
    assert all(MATRIX.values()), "an entry names at least one method"


def test_every_matrix_entry_is_run_by_a_role_test():
    assert not untested(), "entries no check_roles test module names"


def _view(request):
    return HttpResponse("")


BROKEN = [
    path("", _view, name="core-dashboard"),
    path("new/", include([path("page", _view, name="new-page-nobody-registered")])),
]


def test_it_fails_for_a_url_added_without_an_entry():
    # A deliberately broken URLconf: one named page has no entry in the matrix.
    assert uncovered(BROKEN) == ["new-page-nobody-registered"]
    assert uncovered(BROKEN, matrix={**MATRIX, "new-page-nobody-registered": {}}) == []
    assert "core-healthz" in stale(BROKEN)


def test_it_fails_for_an_entry_no_test_runs(tmp_path):
    (tmp_path / "app" / "tests").mkdir(parents=True)
    (tmp_path / "app" / "tests" / "test_x.py").write_text('check_roles(c, p, "get", "known")\n')
    assert untested({"known": {}, "forgotten": {}}, tmp_path) == ["forgotten"]


def test_check_roles_refuses_a_url_without_an_entry(client, personas, settings):
    settings.ROOT_URLCONF = __name__
    with pytest.raises(AssertionError, match="no entry in vigil/testing/matrix.py"):
        check_roles(client, personas, "get", "/new/page")


urlpatterns = BROKEN
