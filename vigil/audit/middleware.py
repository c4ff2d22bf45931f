"""Write this request's refusals once its response is ready (vigil/audit/actions.py).

The access module notes a refusal where it happens, often inside a transaction
the refusal then rolls back; the rows are written here, after the view, in a
transaction of their own. A 403 that no access check noted (an action's own
refusal, a DRF permission) is written too, as `access.use` on the URL's name.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from vigil.audit import actions


class DeniedAuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with actions.collecting_denials() as pending:
            response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            response.status_code == 403
            and user is not None
            and not any(d.status == 403 for d in pending)
        ):
            match = getattr(request, "resolver_match", None)
            pending.append(
                actions.Denial(
                    actor=user,
                    action="access.use",
                    object_type="url",
                    object_id=(match.view_name if match else "")[:64],
                    status=403,
                )
            )
        for denial in pending:
            if getattr(denial.actor, "is_authenticated", False):
                actions.do_record_denied(denial, method=request.method or "", path=request.path)
        return response
