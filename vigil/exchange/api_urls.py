from django.urls import path

from vigil.exchange import api

urlpatterns = [
    path("sync/changes", api.changes, name="exchange-sync-changes"),
    path("sync/push", api.push, name="exchange-sync-push"),
]
