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


Provider = Callable[[HttpRequest], Panel | None]
_providers: list[Provider | str] = []


def register(provider: Provider | str) -> Provider | str:
    """A provider, or its dotted path ("vigil.tips.views.dashboard_panel"): a path is
    imported on the first dashboard, so a process that never serves one (a worker,
    a command) does not import the app's views from AppConfig.ready()."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def _resolve(provider: Provider | str) -> Provider:
    if isinstance(provider, str):
        from django.utils.module_loading import import_string

        return import_string(provider)
    return provider


def panels_for(request: HttpRequest) -> list[Panel]:
    providers = [_resolve(p) for p in _providers]
    panels = [p for p in (provider(request) for provider in providers) if p is not None]
    return sorted(panels, key=lambda p: p.order)
