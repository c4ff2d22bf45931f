from django.apps import AppConfig


class TipsConfig(AppConfig):
    name = "vigil.tips"
    label = "tips"

    def ready(self) -> None:
        from vigil.core import dashboard

        dashboard.register("vigil.tips.views.dashboard_panel")
