from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "vigil.stats"
    label = "stats"
    verbose_name = "Statistics"

    def ready(self) -> None:
        from vigil.core import dashboard
        from vigil.stats import providers

        providers.register_all()
        dashboard.register("vigil.stats.views.dashboard_panel")
