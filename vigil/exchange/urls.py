from django.urls import path

from vigil.exchange import views

urlpatterns = [
    path("", views.partner_list, name="exchange-partner-list"),
    path("partners/new", views.partner_create, name="exchange-partner-create"),
    path("partners/<int:pk>", views.partner_detail, name="exchange-partner-detail"),
    path("partners/<int:pk>/edit", views.partner_edit, name="exchange-partner-edit"),
    path("partners/<int:pk>/status", views.partner_status, name="exchange-partner-status"),
    path("partners/<int:pk>/tokens", views.token_issue, name="exchange-token-issue"),
    path(
        "partners/<int:pk>/tokens/<int:token_pk>/revoke",
        views.token_revoke,
        name="exchange-token-revoke",
    ),
    path("partners/<int:pk>/sync", views.partner_sync, name="exchange-partner-sync"),
    path("identity", views.identity, name="exchange-identity"),
    path("import", views.vics_import, name="exchange-import"),
    path("import/<int:pk>", views.vics_import_detail, name="exchange-import-detail"),
    path("import/<int:pk>/progress", views.vics_import_progress, name="exchange-import-progress"),
    path("export", views.vics_export, name="exchange-export"),
    path("transfers", views.transfer_list, name="exchange-transfer-list"),
    path("conflicts", views.conflict_list, name="exchange-conflict-list"),
    path("conflicts/<int:pk>/decide", views.conflict_decide, name="exchange-conflict-decide"),
]
