from django.urls import path

from vigil.tips import views

urlpatterns = [
    path("", views.queue, name="tips-queue"),
]
