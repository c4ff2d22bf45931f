from django.urls import path

from vigil.audit import views

urlpatterns = [
    path("", views.event_list, name="audit-list"),
    path("export.csv", views.export_csv, name="audit-export"),
]
