from django.apps import AppConfig, apps


class SubpoenasConfig(AppConfig):
    name = "vigil.subpoenas"
    label = "subpoenas"
    verbose_name = "Subpoenas"

    def ready(self) -> None:
        from vigil.core import dashboard
        from vigil.tips import panels

        panels.register("subpoenas-tip-panel")
        dashboard.register("vigil.subpoenas.views.dashboard_panel")
        if apps.is_installed("vigil.stats"):
            from vigil.subpoenas import stats

            stats.register()
