from django.urls import path

from vigil.victimid import api

urlpatterns = [
    path("series/", api.series_collection, name="victimid-api-series"),
]
