from django.apps import AppConfig


class TipsConfig(AppConfig):
    name = "vigil.tips"
    label = "tips"

    def ready(self) -> None:
        from vigil.core import dashboard, workers

        dashboard.register("vigil.tips.views.dashboard_panel")
        # Dotted paths: nothing of the task module is imported at start-up.
        workers.on_lost("vigil.tips.tasks.run_import_job", "vigil.tips.tasks.import_job_lost")
