from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "vigil.core"
    label = "core"

    def ready(self) -> None:
        from django.conf import settings

        from vigil.lib import config

        # lib imports no Django: it reads the settings through this one hook.
        config.use(lambda name, default: getattr(settings, name, default))
