from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "yakusho.procedures"
    label = "procedures"
    verbose_name = _("手続")

    def ready(self) -> None:
        from yakusho.core.demo import demo_loaded
        from yakusho.procedures import audit, demo
        from yakusho.procedures.counter.readers.registry import autodiscover

        audit.register_models()
        autodiscover()
        demo_loaded.connect(demo.load_demo_procedures, dispatch_uid="procedures-demo")
        from yakusho.procedures.counter import (
            demo as counter_demo,  # after the procedures: the rules name them
        )

        demo_loaded.connect(counter_demo.load_demo_one_stop, dispatch_uid="counter-one-stop-demo")
        from yakusho.procedures.counter import demo_visits as counter_demo_visits  # after the one-stop rules

        demo_loaded.connect(counter_demo_visits.demo_loaded_receiver, dispatch_uid="counter-visits-demo")
