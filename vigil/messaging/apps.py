from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "vigil.messaging"
    label = "messaging"

    def ready(self) -> None:
        from vigil.core import dashboard
        from vigil.messaging import dashboard as messaging_dashboard

        dashboard.register(messaging_dashboard.panel)
