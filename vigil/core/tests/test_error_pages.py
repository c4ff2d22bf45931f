"""Error pages in the site's layout with a way back; the CSRF page; the /api/ index."""

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest
from django.test import Client
from django.urls import path, reverse

import vigil.urls
from vigil.testing.roles import check_roles


def _raise_400(request: HttpRequest):
    raise SuspiciousOperation("bad")


def _raise_403(request: HttpRequest):
    raise PermissionDenied


def _raise_500(request: HttpRequest):
    raise RuntimeError("boom")


def _raise_404(request: HttpRequest):
    raise Http404("no such tip")


urlpatterns = [
    path("test-errors/400", _raise_400),
    path("test-errors/403", _raise_403),
    path("test-errors/500", _raise_500),
    path("test-errors/404", _raise_404),
    path("api/test-errors/500", _raise_500),
    *vigil.urls.urlpatterns,
]
handler400 = vigil.urls.handler400
handler403 = vigil.urls.handler403
handler404 = vigil.urls.handler404
handler500 = vigil.urls.handler500

pytestmark = pytest.mark.urls(__name__)


@pytest.fixture(autouse=True)
def _production_errors(settings):
    settings.DEBUG = False
    settings.REQUIRE_MFA = False


def _in_layout_with_way_back(response, status: int, title: str) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert 'class="brand"' in html and "<footer>" in html  # base.html
    assert f"{title} · Vigil</title>" in html
    assert 'data-testid="what-to-do"' in html
    assert '<a href="/" data-testid="dashboard-link">' in html
    return html


@pytest.mark.parametrize(
    ("url", "status", "title"),
    [
        ("/test-errors/400", 400, "Bad request"),
        ("/test-errors/403", 403, "Not allowed"),
        ("/no/such/page", 404, "Not found"),
        ("/test-errors/500", 500, "Something went wrong"),
    ],
)
def test_it_renders_each_error_page_in_the_layout_with_a_way_back(
    client, personas, url, status, title
):
    client.raise_request_exception = False
    client.force_login(personas.investigator)
    response = client.get(url, HTTP_REFERER="http://testserver/tips/")
    html = _in_layout_with_way_back(response, status, title)
    assert 'data-testid="back-link"' in html and 'href="http://testserver/tips/"' in html


def test_it_renders_error_pages_for_anonymous_callers_and_ignores_foreign_referers(client, db):
    client.raise_request_exception = False
    response = client.get("/no/such/page", HTTP_REFERER="https://evil.example/")
    html = _in_layout_with_way_back(response, 404, "Not found")
    assert "evil.example" not in html and 'data-testid="back-link"' not in html


def test_it_renders_a_record_not_found_in_the_layout_in_debug_mode_too(client, personas, settings):
    """`make run` runs with DEBUG on: a record outside the user's reach (a view's Http404) is
    still the site's 404 page, not Django's technical page (unstyled under the strict CSP, and
    a list of every URL pattern). An unknown address keeps the technical page for developers."""
    settings.DEBUG = True
    client.raise_request_exception = False
    client.force_login(personas.investigator)
    response = client.get("/test-errors/404", HTTP_REFERER="http://testserver/tips/")
    html = _in_layout_with_way_back(response, 404, "Not found")
    assert "URLconf" not in html and "no such tip" not in html


def test_it_renders_the_500_page_without_the_database_or_the_user(client, personas):
    client.raise_request_exception = False
    client.force_login(personas.investigator)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get("/test-errors/500")
    assert response.status_code == 500
    html = response.content.decode()
    # Rendered without the request context: no navigation, no user, no inbox query.
    assert personas.investigator.username not in html
    assert 'data-testid="request-id"' in html
    with CaptureQueriesContext(connection) as queries:
        from vigil.core.views import server_error

        request = HttpRequest()
        request.path = "/x"
        request.META = {"SERVER_NAME": "testserver", "SERVER_PORT": "80"}
        assert server_error(request).status_code == 500
    assert len(queries) == 0


def test_it_keeps_api_errors_json(client, personas):
    client.raise_request_exception = False
    client.force_login(personas.investigator)
    response = client.get("/api/no/such/endpoint/")
    assert response.status_code == 404 and "detail" in response.json()
    response = client.get("/api/test-errors/500")
    assert response.status_code == 500 and "detail" in response.json()


def test_it_explains_a_csrf_failure(personas):
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.investigator)
    response = client.post(reverse("accounts-password"), {"old_password": "x"})
    html = _in_layout_with_way_back(response, 403, "Form expired")
    assert "reload the form" in html and "Nothing was saved" in html


def test_it_answers_the_api_index_to_signed_in_users_only(client, personas):
    anonymous = client.get("/api/")
    tips = client.get(reverse("api-tips-list"))
    assert anonymous.status_code == tips.status_code and anonymous.status_code in (401, 403)
    client.force_login(personas.reader)
    body = client.get("/api/").json()
    assert body["sections"]["tips"] == reverse("api-tips-list")
    assert body["sections"]["schema"] == reverse("api-schema")
    for url in (body["sections"]["tips"], body["sections"]["subpoenas"]):
        assert client.get(url).status_code == 200


def test_it_answers_the_api_index_per_role(client, personas):
    check_roles(client, personas, "get", reverse("api-index"))
