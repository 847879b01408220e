"""Bearer authentication with organization API tokens (``Authorization: Bearer mc_…``)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from microcred.organizations import tokens
from microcred.organizations.models import ApiToken, ApiTokenScope


class TokenAuth(HttpBearer):
    """Resolves ``request.auth`` to the :class:`ApiToken` (and so to its organization).

    A missing header gives Ninja's AuthenticationError; an unknown, revoked or expired token
    raises :class:`tokens.TokenRejectedError` and a token without ``scope``
    :class:`tokens.InsufficientScopeError` — the API's handlers turn them into 401 and 403
    problem responses.
    """

    def __init__(self, scope: ApiTokenScope | None = None) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        api_token = tokens.authenticate(token.strip())
        if self.scope is not None:
            tokens.require_scope(api_token, self.scope)
        return api_token
