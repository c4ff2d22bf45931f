"""Dashboard panels: each app registers a function returning a panel (or None).

Keeps core ignorant of the apps: they plug in from their AppConfig.ready().
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpRequest


@dataclass
class Panel:
    title: str
    template: str
    context: dict = field(default_factory=dict)
    order: int = 100


_providers: list[Callable[[HttpRequest], Panel | None]] = []


def register(
    provider: Callable[[HttpRequest], Panel | None],
) -> Callable[[HttpRequest], Panel | None]:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def panels_for(request: HttpRequest) -> list[Panel]:
    panels = [p for p in (provider(request) for provider in _providers) if p is not None]
    return sorted(panels, key=lambda p: p.order)
