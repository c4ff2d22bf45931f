from django.urls import path

from vigil.tips import api

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
]
