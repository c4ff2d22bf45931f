from django.apps import AppConfig


class TipsConfig(AppConfig):
    name = "vigil.tips"
    label = "tips"

    def ready(self) -> None:
        from vigil.core import dashboard
        from vigil.tips import views

        dashboard.register(views.dashboard_panel)
