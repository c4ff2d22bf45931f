from django.apps import AppConfig


class DeconflictionConfig(AppConfig):
    name = "vigil.deconfliction"
    label = "deconfliction"
    verbose_name = "Deconfliction"

    def ready(self) -> None:
        from vigil.core import dashboard
        from vigil.deconfliction.actions import receivers
        from vigil.tips import signals

        # Strong references: the receivers are module functions, but say so explicitly.
        signals.selectors_added.connect(
            receivers.on_selectors_added, dispatch_uid="deconfliction.selectors_added", weak=False
        )
        signals.selectors_removed.connect(
            receivers.on_selectors_removed,
            dispatch_uid="deconfliction.selectors_removed",
            weak=False,
        )
        # Bulk paths send one signal per batch: one probe per batch instead of per tip.
        signals.selectors_added_bulk.connect(
            receivers.on_selectors_added_bulk,
            dispatch_uid="deconfliction.selectors_added_bulk",
            weak=False,
        )
        # Confirming extracted selectors re-runs the probe (possible flags become full ones).
        signals.selectors_confirmed.connect(
            receivers.on_selectors_confirmed,
            dispatch_uid="deconfliction.selectors_confirmed",
            weak=False,
        )
        dashboard.register("vigil.deconfliction.views.dashboard_panel")
        from vigil.tips import panels

        panels.register("deconfliction-tip-panel")
        # An import's result page links to the flags its tips raised (flags list, ?batch=).
        panels.register_import_link("deconfliction-flags", "The flags its tips raised")
