"""Shared test helpers: personas, the role matrix mixin, the socket guard."""
