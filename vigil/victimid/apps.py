from django.apps import AppConfig


class VictimidConfig(AppConfig):
    name = "vigil.victimid"
    label = "victimid"
