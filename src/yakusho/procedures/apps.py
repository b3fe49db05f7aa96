from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "yakusho.procedures"
    label = "procedures"
    verbose_name = _("手続")

    def ready(self) -> None:
        from yakusho.core import searchversion
        from yakusho.core.demo import demo_loaded
        from yakusho.core.models import Department, SynonymGroup
        from yakusho.procedures import audit
        from yakusho.procedures.counter import payment
        from yakusho.procedures.counter.readers.registry import autodiscover
        from yakusho.procedures.demo import counter_visits, one_stop
        from yakusho.procedures.demo import procedures as demo
        from yakusho.procedures.models import Procedure
        from yakusho.procedures.submissions import payment as submission_payment

        audit.register_models()
        autodiscover()
        payment.register()  # the till asks a counter visit what it owes (payments.payables)
        submission_payment.register()  # a submission paid online (payments.payables)
        # the catalogue's search index reads these (catalogue.search); same dispatch uids as the FAQ's
        searchversion.watch(Procedure, Department, SynonymGroup)
        demo_loaded.connect(demo.load_demo_procedures, dispatch_uid="procedures-demo")
        # after the procedures (the one-stop rules name them), then the visits (they follow the rules)
        demo_loaded.connect(one_stop.load_demo_one_stop, dispatch_uid="counter-one-stop-demo")
        demo_loaded.connect(counter_visits.demo_loaded_receiver, dispatch_uid="counter-visits-demo")
