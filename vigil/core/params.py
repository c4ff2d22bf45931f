"""Malformed input answers 400 with a clear message, never a server error.

- :func:`int_param` reads an id or a number from a query string or a form: blank
  gives the default; anything but a whole number within the database's range
  (a 64-bit signed integer) raises :class:`BadParameter` (a ``BadRequest``).
- :class:`JSONParser` and :func:`loads` refuse JSON nested too deeply (5,000
  ``[``) as a parse error instead of letting ``RecursionError`` escape.
- :class:`Pagination` caps ``limit`` and refuses an ``offset`` out of range.
- :class:`BadInputMiddleware` is the safety net: ``BadRequest`` (with its
  message), ``OverflowError`` (a number too large for the database) and
  ``RecursionError`` (nesting) that escaped a view become a 400, JSON under
  ``/api/``, a plain page elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from rest_framework.exceptions import ParseError
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import JSONParser as _DRFJSONParser

MAX_ID = 2**63 - 1


class BadParameter(BadRequest):
    """A query or form parameter that is not what it must be; the message is for the user."""


def int_param(
    value: Any, name: str, *, default: int | None = None, minimum: int = 0, maximum: int = MAX_ID
) -> int | None:
    text = "" if value is None else str(value).strip()
    if not text:
        return default
    if not (text.isascii() and text.lstrip("-").isdigit()):
        raise BadParameter(f"{name}: {text[:40]!r} is not a whole number.")
    if len(text) > 20 or not minimum <= int(text) <= maximum:
        raise BadParameter(f"{name}: {text[:40]} is out of range ({minimum} to {maximum}).")
    return int(text)


def loads(text: str | bytes) -> Any:
    """json.loads that refuses deep nesting (5,000 ``[``) with a ValueError, not a RecursionError."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("The JSON is nested too deeply.") from None


class JSONParser(_DRFJSONParser):
    """DRF's JSON parser, refusing deep nesting with a 400 instead of a RecursionError."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the JSON is nested too deeply.") from None


class Pagination(LimitOffsetPagination):
    max_limit = 1000

    def get_offset(self, request: Any) -> int:
        raw = request.query_params.get(self.offset_query_param, "")
        try:
            return int_param(raw, "offset", default=0) or 0
        except BadParameter as exc:
            raise DRFValidationError({"offset": [str(exc)]}) from None

    def get_limit(self, request: Any) -> int | None:
        raw = request.query_params.get(self.limit_query_param, "")
        if not raw.strip():
            return self.default_limit
        try:
            value = int_param(raw, "limit", minimum=1)
        except BadParameter:
            # An absurd limit is capped (max_limit), not refused; garbage is refused.
            if raw.strip().isdigit():
                return self.max_limit
            raise DRFValidationError({"limit": [f"{raw[:40]!r} is not a whole number."]}) from None
        return min(value or self.max_limit, self.max_limit)


class BadInputMiddleware:
    """Turn malformed-input exceptions that escaped a view into a 400 with a message."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, BadRequest):
            message = str(exc) or "The request is malformed."
        elif isinstance(exc, OverflowError):
            message = "A number in the request is too large."
        elif isinstance(exc, RecursionError):
            message = "The request is nested too deeply."
        else:
            return None
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message}, status=400)
        try:
            body = render_to_string("400.html", {"message": message}, request=request)
        except Exception:  # no template, or it fails: a plain page still answers
            from django.utils.html import escape

            body = f"<h1>Bad request</h1><p>{escape(message)}</p>"
        return HttpResponse(body, status=400)
