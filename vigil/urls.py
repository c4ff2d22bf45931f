from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from vigil.core import help as core_help
from vigil.core import views as core_views

urlpatterns = [
    path("", core_views.dashboard, name="core-dashboard"),
    path("healthz", core_views.healthz, name="core-healthz"),
    path("readyz", core_views.readyz, name="core-readyz"),
    path("help/", core_help.guide, name="core-help"),
    path("help/guide/<str:name>", core_help.image, name="core-help-image"),
    path("help/<slug:name>/", core_help.doc, name="core-help-doc"),
    path("accounts/", include("vigil.accounts.urls")),
    path("audit/", include("vigil.audit.urls")),
    path("messages/", include("vigil.messaging.urls")),
    path("tips/", include("vigil.tips.urls")),
    path("deconfliction/", include("vigil.deconfliction.urls")),
    path("victimid/", include("vigil.victimid.urls")),
    path("stats/", include("vigil.stats.urls")),
    path("records/", include("vigil.retention.urls")),
    path("lookups/", include("vigil.lookups.urls")),
    path("subpoenas/", include("vigil.subpoenas.urls")),
    path("referrals/", include("vigil.referrals.urls")),
    path("exchange/", include("vigil.exchange.urls")),
    path("search/", include("vigil.search.urls")),
    path("api/", core_views.ApiIndex.as_view(), name="api-index"),
    # Swagger UI, its init script a separate file (?script) so the strict CSP holds.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
    path("api/", include("vigil.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
]

handler400 = "vigil.core.views.bad_request"
handler403 = "vigil.core.views.permission_denied"
handler404 = "vigil.core.views.page_not_found"
handler500 = "vigil.core.views.server_error"
