from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "yakusho.plans"
    label = "plans"
    verbose_name = _("DX推進計画")

    def ready(self) -> None:
        from yakusho.core.demo import demo_loaded
        from yakusho.plans import audit, demo

        audit.register_models()
        demo_loaded.connect(demo.load_demo_plans, dispatch_uid="plans-demo")
