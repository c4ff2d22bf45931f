from django.apps import AppConfig


class LookupsConfig(AppConfig):
    name = "vigil.lookups"
    label = "lookups"
    verbose_name = "Ownership look-ups"
