from django.apps import AppConfig


class DeconflictionConfig(AppConfig):
    name = "vigil.deconfliction"
    label = "deconfliction"
