from django.urls import path

from vigil.victimid import views

urlpatterns = [
    path("", views.series_list, name="victimid-series-list"),
    path("series/new", views.series_create, name="victimid-series-create"),
    path("series/<int:pk>", views.series_detail, name="victimid-series-detail"),
    path("series/<int:pk>/edit", views.series_edit, name="victimid-series-edit"),
    path("series/<int:pk>/delete", views.series_delete, name="victimid-series-delete"),
    path("series/<int:pk>/media", views.series_add_media, name="victimid-series-add-media"),
    path("media/<int:pk>/thumb", views.media_thumb, name="victimid-media-thumb"),
    path("media/<int:pk>/reveal", views.media_reveal, name="victimid-media-reveal"),
    path("requests/", views.request_list, name="victimid-request-list"),
    path("requests/new", views.request_create, name="victimid-request-create"),
    path("requests/<int:pk>", views.request_detail, name="victimid-request-detail"),
    path("requests/<int:pk>/progress", views.request_progress, name="victimid-request-progress"),
    path(
        "requests/<int:pk>/report.json",
        views.request_report_json,
        name="victimid-request-report-json",
    ),
    path(
        "requests/<int:pk>/report.pdf", views.request_report_pdf, name="victimid-request-report-pdf"
    ),
    path(
        "requests/<int:pk>/new-material",
        views.request_new_material,
        name="victimid-request-new-material",
    ),
    path("requests/<int:pk>/export", views.request_export, name="victimid-request-export"),
    path(
        "requests/<int:pk>/export/<str:token>",
        views.request_export_download,
        name="victimid-request-export-download",
    ),
]
