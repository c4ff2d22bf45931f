"""API token authentication: `Authorization: Token vga_<key id>_<secret>` (accounts.ApiToken)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from vigil.accounts import access, actions
from vigil.accounts.models import ApiToken
from vigil.audit.log import record
from vigil.audit.models import Outcome
from vigil.lib import tokens


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request: Any) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None  # not ours: session authentication may still apply
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send one token: Authorization: Token <token>.")
        try:
            raw = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("The token is not valid.") from None
        key_id = tokens.key_id_of(raw, ApiToken.PREFIX)
        token = (
            ApiToken.objects.select_related("user").filter(key_id=key_id).first()
            if key_id
            else None
        )
        if token is None or not tokens.matches(token.token_hash, raw):
            # Unknown strings leave no audit row (anyone can send them); a known key id
            # with the wrong secret is a stolen-prefix guess and is recorded.
            if token is not None:
                self._refused(request, token, "wrong secret")
            raise exceptions.AuthenticationFailed("The token is not valid.")
        if token.state != "active" or not access.can_use_api(token.user):
            reason = token.state if token.state != "active" else "account disabled or locked"
            self._refused(request, token, reason)
            raise exceptions.AuthenticationFailed(
                f"The token is {reason}: create a new one on the API access page."
            )
        actions.note_api_token_used(token)
        return token.user, token

    def authenticate_header(self, request: Any) -> str:
        return self.keyword

    @staticmethod
    def _refused(request: Any, token: ApiToken, reason: str) -> None:
        record(
            "api_token.refused",
            actor=None,
            obj=token.user,
            outcome=Outcome.DENIED,
            summary=f"API token {token.key_id} refused ({reason}) for {request.path}"[:300],
        )


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema (and so /api/docs/) describes the token."""

    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token vga_…` — create one on the API access page (/accounts/api-tokens/).",
        }
