"""Panels other apps add to the tip page, loaded by htmx.

Keeps the arrow one way: deconfliction (and later referrals, subpoenas)
register a URL name taking the tip's pk; the tip page knows none of them.
"""

from __future__ import annotations

from django.urls import reverse

_url_names: list[str] = []


def register(url_name: str) -> None:
    if url_name not in _url_names:
        _url_names.append(url_name)


def urls_for(tip_pk: int) -> list[str]:
    return [reverse(name, args=[tip_pk]) for name in _url_names]
