from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "vigil.exchange"
    label = "exchange"

    def ready(self) -> None:
        from vigil.core import dashboard, workers
        from vigil.exchange import dashboard as exchange_dashboard
        from vigil.exchange import receivers

        dashboard.register(exchange_dashboard.panel)
        receivers.connect()
        workers.on_lost(
            "vigil.exchange.tasks.run_vics_import", "vigil.exchange.tasks.vics_import_lost"
        )
