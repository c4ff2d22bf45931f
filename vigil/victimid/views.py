from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from vigil.accounts import access


@login_required
def series_list(request: HttpRequest) -> HttpResponse:
    access.require(access.can_read_data(request.user))
    return render(request, "victimid/series_list.html", {})
