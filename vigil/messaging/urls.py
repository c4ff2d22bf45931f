from django.urls import path

from vigil.messaging import views

urlpatterns = [
    path("", views.inbox, name="messaging-inbox"),
    path("<int:pk>/", views.detail, name="messaging-detail"),
    path("send/", views.send, name="messaging-send"),
]
