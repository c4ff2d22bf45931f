from django.urls import path

from vigil.victimid import views

urlpatterns = [
    path("", views.series_list, name="victimid-series-list"),
]
