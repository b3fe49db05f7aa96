from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "yakusho.plans"
    label = "plans"
    verbose_name = _("DX推進計画")

    def ready(self) -> None:
        from yakusho.plans import audit

        audit.register_models()
