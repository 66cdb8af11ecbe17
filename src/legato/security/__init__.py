"""API tokens and roles for the HTTP server."""

from .tokens import ROLES, AuthError, Forbidden, authenticate, create_token, has_tokens, permits

__all__ = ["ROLES", "AuthError", "Forbidden", "authenticate", "create_token", "has_tokens", "permits"]
