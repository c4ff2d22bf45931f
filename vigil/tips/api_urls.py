from django.urls import path

from vigil.tips import api, api_imports

urlpatterns = [
    path("", api.TipListCreate.as_view(), name="api-tips-list"),
    path("<int:pk>/", api.TipDetail.as_view(), name="api-tips-detail"),
    path("<int:pk>/selectors/", api.TipSelectors.as_view(), name="api-tips-selectors"),
    path(
        "<int:pk>/selectors/<int:sid>/",
        api.TipSelectorDelete.as_view(),
        name="api-tips-selector-delete",
    ),
    path("<int:pk>/triage/", api.TipTriage.as_view(), name="api-tips-triage"),
    # Bulk files: the web upload's job (tips.ImportJob), polled at imports/<id>/.
    path("imports/", api_imports.ImportJobListCreate.as_view(), name="api-tips-imports"),
    path("imports/<int:pk>/", api_imports.ImportJobDetail.as_view(), name="api-tips-import"),
]
