from django.urls import path

from vigil.search import views

urlpatterns = [
    path("", views.results, name="search-results"),
]
