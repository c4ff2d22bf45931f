from django.urls import path

from vigil.lookups import views

urlpatterns = [
    path("tip/<int:tip_id>/panel", views.tip_panel, name="lookups-tip-panel"),
    path("tip/<int:tip_id>/rdap", views.tip_rdap, name="lookups-tip-rdap"),
    path("settings/", views.settings_page, name="lookups-settings"),
    path("providers/", views.provider_list, name="lookups-providers"),
    path("providers/new", views.provider_edit, name="lookups-provider-new"),
    path("providers/import", views.provider_import, name="lookups-provider-import"),
    path("providers/<int:pk>/", views.provider_edit, name="lookups-provider-edit"),
    path("providers/<int:pk>/delete", views.provider_delete, name="lookups-provider-delete"),
    path("providers/<int:pk>/mappings", views.mapping_add, name="lookups-mapping-add"),
    path(
        "providers/<int:pk>/mappings/<int:mapping_id>/remove",
        views.mapping_remove,
        name="lookups-mapping-remove",
    ),
]
