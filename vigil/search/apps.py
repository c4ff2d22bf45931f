from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "vigil.search"
    label = "search"
