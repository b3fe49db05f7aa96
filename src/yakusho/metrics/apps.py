from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MetricsConfig(AppConfig):
    name = "yakusho.metrics"
    label = "metrics"
    verbose_name = _("指標レジストリ")

    def ready(self) -> None:
        # Each app publishes its figures from a `metrics.py` module, found at start-up like admin.py.
        from yakusho.metrics.registry import registry

        registry.autodiscover("yakusho.metrics.core_figures")
