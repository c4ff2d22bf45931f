from django.apps import AppConfig


class VictimidConfig(AppConfig):
    name = "vigil.victimid"
    label = "victimid"

    def ready(self) -> None:
        from vigil.core import dashboard
        from vigil.victimid import dashboard as victimid_dashboard

        dashboard.register(victimid_dashboard.panel)

        from vigil.core import workers

        workers.on_lost(
            "vigil.victimid.tasks.process_match_request",
            "vigil.victimid.tasks.match_request_lost",
        )
