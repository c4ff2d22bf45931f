from django.urls import path

from vigil.deconfliction import api

urlpatterns = [
    path("flags/", api.FlagList.as_view(), name="api-deconfliction-flags"),
    path("flags/<int:pk>/", api.FlagDetail.as_view(), name="api-deconfliction-flag"),
    path("flags/<int:pk>/link/", api.FlagLink.as_view(), name="api-deconfliction-flag-link"),
    path(
        "flags/<int:pk>/dismiss/", api.FlagDismiss.as_view(), name="api-deconfliction-flag-dismiss"
    ),
    path("flags/<int:pk>/shared/", api.SharedValue.as_view(), name="api-deconfliction-shared"),
    path(
        "flags/<int:pk>/shared/link/",
        api.SharedLink.as_view(),
        name="api-deconfliction-shared-link",
    ),
    path(
        "flags/<int:pk>/shared/dismiss/",
        api.SharedDismiss.as_view(),
        name="api-deconfliction-shared-dismiss",
    ),
    path("links/", api.LinkList.as_view(), name="api-deconfliction-links"),
    path("links/<int:pk>/remove/", api.LinkRemove.as_view(), name="api-deconfliction-link-remove"),
    path("clusters/<int:tip_id>/", api.Cluster.as_view(), name="api-deconfliction-cluster"),
]
