from django.apps import AppConfig, apps


class ReferralsConfig(AppConfig):
    name = "vigil.referrals"
    label = "referrals"
    verbose_name = "Referrals"

    def ready(self) -> None:
        from vigil.core import dashboard
        from vigil.core.signals import disclosed
        from vigil.deconfliction import hooks
        from vigil.referrals import actions, jurisdiction, packet, views
        from vigil.tips import panels

        # Every disclosure by any app (subpoenas, partner exports, our own) lands here.
        disclosed.connect(actions.on_disclosed, dispatch_uid="referrals.disclosed", weak=False)
        hooks.register_referred_tip_finder(actions.referred_tips)
        jurisdiction.register_builtin_providers()
        packet.register_builtin_sections()
        # Other apps' evidence providers and packet sections (subpoenas, look-ups) live in
        # their own `referrals_plugins` module: found here, imported by nobody else.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("referrals_plugins")
        # Expired share packages go the way of victimid's export packages: every worker
        # removes them hourly (core.workers periodic jobs); `vigil remove_expired_shares` too.
        import datetime as dt

        from vigil.core import workers

        workers.every(
            "referrals.remove_expired_shares",
            dt.timedelta(hours=1),
            "vigil.referrals.actions.do_remove_expired_shares",
        )
        dashboard.register(views.dashboard_panel)
        panels.register("referrals-tip-panel")
        if apps.is_installed("vigil.retention"):
            from vigil.retention import hooks as retention_hooks

            retention_hooks.register_correction_notifier(actions.notify_correction)
        # The referral figures of the statistics are registered by the stats app itself
        # (vigil/stats/providers.py register_referrals).
