"""A populated instance for page-wide tests: `vigil demo_setup`'s app loaders (tips that
share values, so flags; series with media; the directory; providers) plus one case of the
investigator's with a drafted subpoena and a referral."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.urls import reverse

from vigil.lookups.models import Provider
from vigil.referrals import actions as referral_actions
from vigil.referrals.models import Office
from vigil.subpoenas import actions as subpoena_actions
from vigil.tips import actions as tip_actions
from vigil.tips.models import Tip
from vigil.victimid.models import Series

# The main pages without an argument (a role sees those its role gives).
PAGES = [
    "core-dashboard",
    "core-help",
    "tips-queue",
    "tips-create",
    "tips-search",
    "tips-sources",
    "tips-import",
    "deconfliction-flags",
    "deconfliction-warning-list",
    "victimid-series-list",
    "victimid-series-create",
    "victimid-request-list",
    "victimid-request-create",
    "lookups-providers",
    "lookups-settings",
    "subpoenas-queue",
    "referrals-list",
    "referrals-directory",
    "referrals-shares",
    "referrals-disclosures",
    "exchange-partner-list",
    "exchange-conflict-list",
    "stats-page",
    "retention-disposition",
    "retention-holds",
    "retention-corrections",
    "retention-access-review",
    "messaging-inbox",
    "audit-list",
    "accounts-list",
    "accounts-sharing",
    "accounts-password",
    "accounts-api-tokens",
]


@dataclass
class World:
    tip: Any
    subpoena: Any
    referral: Any
    series: Any

    def urls(self) -> list[str]:
        """Every main page, record pages and a 404 included."""
        ip = self.tip.selectors.filter(type="ip").first()
        return [reverse(name) for name in PAGES] + [
            reverse("tips-detail", args=[self.tip.pk]),
            reverse("deconfliction-tip", args=[self.tip.pk]),
            reverse("subpoenas-detail", args=[self.subpoena.pk]),
            reverse("referrals-detail", args=[self.referral.pk]),
            reverse("victimid-series-detail", args=[self.series.pk]),
            reverse("search-results") + "?q=" + (ip.value if ip else "x"),
            "/no-such-page/",
        ]


def load_demo(actor: Any) -> None:
    modules = []
    for config in apps.get_app_configs():
        if config.name.startswith("vigil."):
            try:
                modules.append(importlib.import_module(f"{config.name}.demo"))
            except ModuleNotFoundError:
                continue
    # As demo_setup does: every app's `prepare` before any `load`.
    for module in modules:
        getattr(module, "prepare", lambda actor: "")(actor)
    for module in modules:
        getattr(module, "load", lambda actor: "")(actor)


def build(personas: Any) -> World:
    """Needs settings.DATA_DIR, UPLOAD_DIR, MEDIA_STORE_DIR, SHARE_DIR in tmp_path."""
    load_demo(personas.manager)
    tip = Tip.objects.filter(selectors__type="ip").order_by("id").first()
    tip_actions.do_assign_tip(tip, personas.investigator, actor=personas.manager)
    subpoena = subpoena_actions.do_draft_subpoena(
        tip,
        actor=personas.investigator,
        provider=Provider.objects.order_by("id").first(),
        selector_ids=list(tip.selectors.filter(type="email").values_list("pk", flat=True)),
        categories=["name", "address"],
    )
    referral = referral_actions.do_create_referral(
        tip, actor=personas.investigator, office=Office.objects.order_by("id").first()
    )
    return World(tip, subpoena, referral, Series.objects.order_by("id").first())


def use_tmp_dirs(settings: Any, tmp_path: Any) -> None:
    settings.REQUIRE_MFA = False
    settings.DATA_DIR = tmp_path
    settings.UPLOAD_DIR = tmp_path / "uploads"
    settings.MEDIA_STORE_DIR = tmp_path / "media"
    settings.SHARE_DIR = tmp_path / "shares"
