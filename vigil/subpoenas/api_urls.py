from django.urls import path

from vigil.subpoenas import api

urlpatterns = [
    path("", api.SubpoenaList.as_view(), name="api-subpoenas"),
    path("<int:pk>/", api.SubpoenaDetail.as_view(), name="api-subpoena"),
    path("<int:pk>/approve", api.SubpoenaApprove.as_view(), name="api-subpoena-approve"),
    path("<int:pk>/serve", api.SubpoenaServe.as_view(), name="api-subpoena-serve"),
    path("<int:pk>/response", api.SubpoenaRespond.as_view(), name="api-subpoena-response"),
]
