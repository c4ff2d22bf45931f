from django.urls import path

from vigil.deconfliction import views

urlpatterns = [
    path("flags/", views.flag_list, name="deconfliction-flags"),
    path("flags/<int:pk>/link", views.flag_link, name="deconfliction-flag-link"),
    path("flags/<int:pk>/dismiss", views.flag_dismiss, name="deconfliction-flag-dismiss"),
    path("links/<int:pk>/remove", views.link_remove, name="deconfliction-link-remove"),
    path("tip/<int:tip_id>/", views.tip_page, name="deconfliction-tip"),
    path("tip/<int:tip_id>/panel", views.tip_panel, name="deconfliction-tip-panel"),
    path("tip/<int:tip_id>/cluster", views.cluster, name="deconfliction-cluster"),
    path("tip/<int:tip_id>/cluster.json", views.cluster_json, name="deconfliction-cluster-json"),
    path("warning-list/", views.warning_list, name="deconfliction-warning-list"),
    path("warning-list/add", views.warning_add, name="deconfliction-warning-add"),
    path("warning-list/<int:pk>/remove", views.warning_remove, name="deconfliction-warning-remove"),
]
