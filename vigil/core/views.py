from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from vigil.core import dashboard as dashboard_registry


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    panels = dashboard_registry.panels_for(request)
    return render(request, "core/dashboard.html", {"panels": panels})


def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
