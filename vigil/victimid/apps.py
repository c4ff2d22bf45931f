from django.apps import AppConfig


class VictimidConfig(AppConfig):
    name = "vigil.victimid"
    label = "victimid"

    def ready(self) -> None:
        import datetime as dt

        from vigil.core import dashboard, workers
        from vigil.victimid import dashboard as victimid_dashboard

        dashboard.register(victimid_dashboard.panel)
        # Dotted paths: the task and action modules are imported only when needed.
        workers.on_lost(
            "vigil.victimid.tasks.process_match_request",
            "vigil.victimid.tasks.match_request_lost",
        )
        workers.every(
            "victimid.purge_exports",
            dt.timedelta(hours=1),
            "vigil.victimid.actions.purge_expired_exports",
        )
