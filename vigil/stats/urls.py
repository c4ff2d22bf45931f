from django.urls import path

from vigil.stats import views

urlpatterns = [
    path("", views.stats_page, name="stats-page"),
    path("export.csv", views.stats_export, {"fmt": "csv"}, name="stats-export-csv"),
    path("export.xlsx", views.stats_export, {"fmt": "xlsx"}, name="stats-export-xlsx"),
]
