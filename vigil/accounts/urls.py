from django.urls import path

from vigil.accounts import views

urlpatterns = [
    path("login/", views.login, name="accounts-login"),
    path("logout/", views.logout, name="accounts-logout"),
    path("mfa/enrol/", views.mfa_enrol, name="accounts-mfa-enrol"),
    path("mfa/verify/", views.mfa_verify, name="accounts-mfa-verify"),
    path("manage/", views.account_list, name="accounts-list"),
]
