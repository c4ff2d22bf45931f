from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "vigil.retention"
    label = "retention"
    verbose_name = "Records lifecycle"

    def ready(self) -> None:
        from vigil.core import dashboard, holds
        from vigil.retention import rules, views
        from vigil.tips import panels

        holds.register(rules.holds_on)
        dashboard.register(views.dashboard_panel)
        panels.register("retention-tip-panel")
