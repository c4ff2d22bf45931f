from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "vigil.stats"
    label = "stats"
    verbose_name = "Statistics"

    def ready(self) -> None:
        from vigil.stats import providers

        providers.register_all()
