from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from vigil.accounts import access
from vigil.tips.models import Tip


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    access.require(access.can_read_data(request.user))
    tips = Tip.objects.for_user(request.user).queue().select_related("source", "assigned_to")[:200]
    return render(request, "tips/queue.html", {"tips": tips})
