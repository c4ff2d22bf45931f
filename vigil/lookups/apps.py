from django.apps import AppConfig


class LookupsConfig(AppConfig):
    name = "vigil.lookups"
    label = "lookups"
    verbose_name = "Ownership look-ups"

    def ready(self) -> None:
        from vigil.lookups import tasks
        from vigil.tips import panels, signals

        signals.selectors_added_bulk.connect(
            tasks.on_selectors_added_bulk, dispatch_uid="lookups.selectors_added_bulk", weak=False
        )
        panels.register("lookups-tip-panel")
