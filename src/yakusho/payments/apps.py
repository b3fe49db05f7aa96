from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "yakusho.payments"
    label = "payments"
    verbose_name = _("手数料・会計")

    def ready(self) -> None:
        from yakusho.payments import audit, terminals

        audit.register_models()
        terminals.autodiscover()
