from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "vigil.stats"
    label = "stats"
    verbose_name = "Statistics"

    def ready(self) -> None:
        from vigil.core import dashboard
        from vigil.stats import providers, views

        providers.register_all()
        dashboard.register(views.dashboard_panel)
