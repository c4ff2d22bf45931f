"""REST API routes: each app contributes its own `api_urls` module."""

from django.urls import include, path

urlpatterns = [
    path("tips/", include("vigil.tips.api_urls")),
    path("deconfliction/", include("vigil.deconfliction.api_urls")),
    path("victimid/", include("vigil.victimid.api_urls")),
    path("subpoenas/", include("vigil.subpoenas.api_urls")),
    path("exchange/", include("vigil.exchange.api_urls")),
]
