from django.urls import path

from vigil.retention import views

urlpatterns = [
    path("disposition/", views.disposition, name="retention-disposition"),
    path("disposition/propose", views.propose, name="retention-propose"),
    path("disposition/<int:pk>/approve", views.approve, name="retention-approve"),
    path("disposition/<int:pk>/reject", views.reject, name="retention-reject"),
    path("holds/", views.holds, name="retention-holds"),
    path("holds/<int:pk>/", views.hold_detail, name="retention-hold"),
    path("holds/<int:pk>/release", views.hold_release, name="retention-hold-release"),
    path("tip/<int:pk>/panel", views.tip_panel, name="retention-tip-panel"),
    path("tip/<int:pk>/inaccuracy", views.report_inaccuracy, name="retention-report-inaccuracy"),
    path("corrections/", views.corrections, name="retention-corrections"),
    path("corrections/<int:pk>/", views.correction_review, name="retention-correction-review"),
    path("access-review/", views.access_review, name="retention-access-review"),
    path(
        "access-review/<int:user_pk>/certify", views.access_certify, name="retention-access-certify"
    ),
]
