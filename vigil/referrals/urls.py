from django.urls import path

from vigil.referrals import views

urlpatterns = [
    path("", views.referral_list, name="referrals-list"),
    path("new/<int:tip_id>/", views.referral_create, name="referrals-create"),
    path("<int:pk>/", views.referral_detail, name="referrals-detail"),
    path("<int:pk>/send/", views.referral_send, name="referrals-send"),
    path("<int:pk>/acknowledge/", views.referral_acknowledge, name="referrals-acknowledge"),
    path("<int:pk>/open-case/", views.referral_open_case, name="referrals-open-case"),
    path("<int:pk>/decline/", views.referral_decline, name="referrals-decline"),
    path("<int:pk>/delete/", views.referral_delete, name="referrals-delete"),
    path("<int:pk>/follow-up/", views.referral_follow_up, name="referrals-follow-up"),
    path("follow-up/<int:pk>/answer/", views.follow_up_answer, name="referrals-follow-up-answer"),
    path("<int:pk>/packet.pdf", views.packet_pdf, name="referrals-packet-pdf"),
    path("<int:pk>/packet.json", views.packet_json, name="referrals-packet-json"),
    path("tip/<int:tip_id>/panel", views.tip_panel, name="referrals-tip-panel"),
    path("tip/<int:tip_id>/jurisdiction", views.tip_jurisdiction, name="referrals-jurisdiction"),
    path("directory/", views.directory, name="referrals-directory"),
    path("directory/new/", views.office_edit, name="referrals-office-create"),
    path("directory/<int:pk>/", views.office_edit, name="referrals-office"),
    path("shares/", views.share_list, name="referrals-shares"),
    path("shares/new/", views.share_create, name="referrals-share-create"),
    path("shares/<int:pk>/download", views.share_download, name="referrals-share-download"),
    path("disclosures/", views.disclosures, name="referrals-disclosures"),
    path("disclosures.csv", views.disclosures_csv, name="referrals-disclosures-csv"),
    path(
        "disclosures/record/<slug:kind>/<str:record_id>/",
        views.disclosures_for_record,
        name="referrals-disclosures-record",
    ),
    path(
        "disclosures/agency/<int:pk>/",
        views.disclosures_for_agency,
        name="referrals-disclosures-agency",
    ),
]
