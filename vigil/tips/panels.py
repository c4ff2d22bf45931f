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


# Links other apps add to an import's result page: (URL name, label), each given `?batch=<job id>`.
_import_links: list[tuple[str, str]] = []


def register_import_link(url_name: str, label: str) -> None:
    if (url_name, label) not in _import_links:
        _import_links.append((url_name, label))


def import_links(job_pk: int) -> list[tuple[str, str]]:
    """(label, URL) of every registered page, filtered to the tips that import created."""
    return [(label, f"{reverse(name)}?batch={job_pk}") for name, label in _import_links]
