from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FaqConfig(AppConfig):
    name = "yakusho.faq"
    label = "faq"
    verbose_name = _("よくある質問")

    def ready(self) -> None:
        from auditlog.registry import auditlog
        from django.apps import apps

        from yakusho.core.demo import demo_loaded
        from yakusho.faq import demo, signals

        for model in apps.get_app_config("faq").get_models():
            if not auditlog.contains(model):
                auditlog.register(model, m2m_fields=set(getattr(model, "AUDITED_M2M", ())))
        signals.connect()
        demo_loaded.connect(demo.load_demo_faq, dispatch_uid="faq-demo")
