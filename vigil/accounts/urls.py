from django.urls import path

from vigil.accounts import views

urlpatterns = [
    path("login/", views.login, name="accounts-login"),
    path("logout/", views.logout, name="accounts-logout"),
    path("mfa/enrol/", views.mfa_enrol, name="accounts-mfa-enrol"),
    path("mfa/verify/", views.mfa_verify, name="accounts-mfa-verify"),
    path("password/", views.password_change, name="accounts-password"),
    path("api-tokens/", views.api_tokens, name="accounts-api-tokens"),
    path("api-tokens/<int:pk>/revoke/", views.api_token_revoke, name="accounts-api-token-revoke"),
    path("manage/", views.account_list, name="accounts-list"),
    path("sharing/", views.share_grants, name="accounts-sharing"),
    path("sharing/<int:pk>/grant/", views.share_grant, name="accounts-share-grant"),
    path("sharing/<int:pk>/revoke/", views.share_revoke, name="accounts-share-revoke"),
    path("manage/new/", views.account_create, name="accounts-create"),
    path("manage/<int:pk>/", views.account_detail, name="accounts-detail"),
    path("manage/<int:pk>/disable/", views.account_disable, name="accounts-disable"),
    path("manage/<int:pk>/enable/", views.account_enable, name="accounts-enable"),
    path("manage/<int:pk>/unlock/", views.account_unlock, name="accounts-unlock"),
    path("manage/<int:pk>/reset-mfa/", views.account_reset_mfa, name="accounts-reset-mfa"),
    path(
        "manage/<int:pk>/reset-password/",
        views.account_reset_password,
        name="accounts-reset-password",
    ),
]
