"""Structure: one scoped queryset. Every model whose queryset answers `for_user`
derives it from `access.ScopedQuerySet` and declares only its rule and owner
field; the rule itself lives in access.py (issue 14, "One scoped queryset")."""

from __future__ import annotations

from django.apps import apps
from django.db import models

from vigil.accounts import access


def offending_querysets(model_list) -> list[str]:
    """Names of models whose `for_user` is not the one in access.ScopedQuerySet."""
    bad = []
    for model in model_list:
        qs_class = type(model._default_manager.all())
        if not hasattr(qs_class, "for_user") and not hasattr(model._default_manager, "for_user"):
            continue
        where = f"{model._meta.label} ({qs_class.__name__})"
        if not issubclass(qs_class, access.ScopedQuerySet):
            bad.append(f"{where}: does not derive from access.ScopedQuerySet")
            continue
        for klass in qs_class.__mro__:
            if klass is access.ScopedQuerySet:
                break
            if "for_user" in vars(klass):
                bad.append(f"{where}: {klass.__name__} overrides for_user")
        if qs_class.scope_rule not in access.RULES:
            bad.append(f"{where}: unknown rule {qs_class.scope_rule!r}")
    return bad


def test_it_finds_every_scoped_queryset_deriving_from_the_one_base():
    assert offending_querysets(apps.get_models()) == []


def test_it_covers_the_querysets_of_every_app_with_case_data():
    scoped = {
        m._meta.app_label
        for m in apps.get_models()
        if isinstance(m._default_manager.all(), access.ScopedQuerySet)
    }
    for app in (
        "tips",
        "deconfliction",
        "victimid",
        "messaging",
        "subpoenas",
        "referrals",
        "lookups",
        "retention",
        "exchange",
    ):
        assert app in scoped, app


class _HandWritten(models.QuerySet):
    def for_user(self, user, action=access.READ):
        return self


class _Overriding(access.ScopedQuerySet):
    def for_user(self, user, action=access.READ):
        return self


class _UnknownRule(access.ScopedQuerySet):
    scope_rule = "whatever_i_like"


def _fake(qs_class):
    class Meta:
        app_label = "accounts"
        label = f"accounts.Fake{qs_class.__name__}"

    class Manager:
        def all(self):
            return qs_class(model=None)

    class Fake:
        _meta = Meta
        _default_manager = Manager()

    return Fake


def test_it_fails_on_a_hand_written_for_user():
    bad = offending_querysets([_fake(_HandWritten), _fake(_Overriding), _fake(_UnknownRule)])
    assert len(bad) == 3
    assert "does not derive from access.ScopedQuerySet" in bad[0]
    assert "overrides for_user" in bad[1]
    assert "unknown rule" in bad[2]
