from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "yakusho.payments"
    label = "payments"
    verbose_name = _("手数料・会計")

    def ready(self) -> None:
        from yakusho.core.demo import demo_loaded
        from yakusho.payments import audit, checks, providers, terminals  # noqa: F401 - checks registers itself
        from yakusho.payments.demo import catalogue as demo_catalogue
        from yakusho.payments.demo import payments as demo_payments

        audit.register_models()
        terminals.autodiscover()
        providers.autodiscover()
        demo_loaded.connect(demo_catalogue.load_demo_catalogue, dispatch_uid="payments-demo-catalogue")
        # after the catalogue (the demo payments pay for its certificates)
        demo_loaded.connect(demo_payments.load_demo_payments_signal, dispatch_uid="payments-demo-payments")
