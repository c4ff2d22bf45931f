from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "vigil.accounts"
    label = "accounts"

    def ready(self) -> None:
        from axes.signals import user_locked_out

        from vigil.accounts import auth

        user_locked_out.connect(auth.on_axes_lockout, dispatch_uid="vigil-lockout")

        from vigil.accounts import dashboard as accounts_dashboard
        from vigil.core import dashboard

        dashboard.register(accounts_dashboard.panel)
