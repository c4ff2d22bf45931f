"""The sync API a partner's instance pulls from and pushes to, authenticated by that partner's token.

    GET  /api/exchange/sync/changes?cursor=…&limit=…
    POST /api/exchange/sync/push      {"batch": id, "series": […], "records": […], "tombstones": […]}
    Authorization: Bearer vgx_…

401 for a missing, unknown, expired or revoked token; 403 when the partner is
not approved (nothing leaves for it, nothing is taken from it) or, for a push,
registered as sending nothing; 400 for a cursor or limit this server did not
hand out, or a malformed batch. Plain Django views: these callers are partner
instances, not users.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from vigil.core import request_context
from vigil.exchange import actions, sync


def _error(status: int, message: str) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    response["Cache-Control"] = "no-store"
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="vigil-exchange"'
    return response


def _refuse(request: HttpRequest, status: int, message: str, partner=None) -> JsonResponse:
    """Every refusal is audited (exchange.api_refused), then answered."""
    actions.do_record_api_refusal(
        status=status, reason=message, endpoint=request.path, partner=partner
    )
    return _error(status, message)


def _token(request: HttpRequest, refusal: str):
    """The partner's token, or the 401/403 answer."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None, _refuse(
            request, 401, "Send the partner token as 'Authorization: Bearer vgx_…'."
        )
    token = actions.authenticate_token(header[7:].strip())
    if token is None:
        return None, _refuse(request, 401, "The token is unknown, expired or revoked.")
    partner = token.partner
    if not partner.is_approved:
        return None, _refuse(
            request,
            403,
            f"{partner.name} is {partner.get_status_display().lower()}: {refusal}",
            partner,
        )
    return token, None


@csrf_exempt
@require_GET
def changes(request: HttpRequest) -> JsonResponse:
    token, refused = _token(request, "nothing is sent to it.")
    if refused is not None:
        return refused
    partner = token.partner
    try:
        limit = int(request.GET.get("limit", sync.DEFAULT_LIMIT))
    except ValueError:
        return _refuse(request, 400, "limit must be a whole number.", partner)
    if not 1 <= limit <= sync.MAX_LIMIT:
        return _refuse(request, 400, f"limit must be between 1 and {sync.MAX_LIMIT}.", partner)
    cursor = request.GET.get("cursor", "")
    try:
        ctx = request_context.current()
        with request_context.bind(request_id=ctx.request_id, ip=ctx.ip, via="api"):
            body = sync.changes(partner, cursor, limit, discloser=token.created_by)
    except sync.CursorError as exc:
        return _refuse(request, 400, str(exc), partner)
    body["next"] = (
        request.build_absolute_uri(request.path)
        + "?"
        + urlencode({"cursor": body["cursor"], "limit": limit})
        if body["more"]
        else None
    )
    response = JsonResponse(body)
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@require_POST
def push(request: HttpRequest) -> JsonResponse:
    token, refused = _token(request, "nothing is taken from it.")
    if refused is not None:
        return refused
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return _refuse(request, 400, "The body is not JSON.", token.partner)
    try:
        ctx = request_context.current()
        with request_context.bind(request_id=ctx.request_id, ip=ctx.ip, via="api"):
            summary, duplicate = actions.do_receive_push(token.partner, body)
    except actions.PushRefused as exc:
        return _refuse(request, 400, str(exc), token.partner)
    except ValidationError as exc:
        return _refuse(request, 403, " ".join(exc.messages), token.partner)
    answer = {
        "batch": body["batch"],
        "duplicate": duplicate,
        **{k: v for k, v in summary.items() if k != "rejected"},
        "rejected": summary.get("rejected", []),
    }
    response = JsonResponse(answer)
    response["Cache-Control"] = "no-store"
    return response
