from django.urls import path

from vigil.subpoenas import views

urlpatterns = [
    path("", views.queue, name="subpoenas-queue"),
    path("template/", views.template_edit, name="subpoenas-template"),
    path("tip/<int:tip_id>/panel", views.tip_panel, name="subpoenas-tip-panel"),
    path("tip/<int:tip_id>/draft", views.draft, name="subpoenas-draft"),
    path("<int:pk>/", views.detail, name="subpoenas-detail"),
    path("<int:pk>/document.pdf", views.pdf, name="subpoenas-pdf"),
    path("<int:pk>/approve", views.approve, name="subpoenas-approve"),
    path("<int:pk>/serve", views.serve, name="subpoenas-serve"),
    path("<int:pk>/response", views.respond, name="subpoenas-respond"),
    path("<int:pk>/close", views.close, name="subpoenas-close"),
    path("<int:pk>/contradiction", views.contradiction, name="subpoenas-contradiction"),
    path("<int:pk>/response-document", views.attach, name="subpoenas-attach"),
    path("<int:pk>/response-document/download", views.document_download, name="subpoenas-document"),
]
