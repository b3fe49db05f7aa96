from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MetricsConfig(AppConfig):
    name = "yakusho.metrics"
    label = "metrics"
    verbose_name = _("指標レジストリ")

    def ready(self) -> None:
        # Each app publishes its figures from a `metrics.py` module, found at start-up like admin.py.
        from django.db.models.signals import post_delete, post_save

        from yakusho.core.demo import demo_loaded
        from yakusho.metrics import demo, store
        from yakusho.metrics.registry import registry

        registry.autodiscover("yakusho.metrics.core_figures")
        # a change to data a provider reads marks its stored figures stale (one UPDATE)
        post_save.connect(store.mark_stale, dispatch_uid="metrics-stale-save")
        post_delete.connect(store.mark_stale, dispatch_uid="metrics-stale-delete")
        # after the other apps' demo data: measure the demo's figures
        demo_loaded.connect(demo.refresh_demo_figures, dispatch_uid="metrics-demo")
