from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingsConfig(AppConfig):
    name = "yakusho.bookings"
    label = "bookings"
    verbose_name = _("予約・整理券")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from yakusho.bookings import audit, payment, signals
        from yakusho.bookings.demo import bookings as demo
        from yakusho.core.demo import demo_loaded
        from yakusho.core.models import Closure

        audit.register_models()
        payment.register()  # a booking's charge paid online (payments.payables)
        post_save.connect(signals.closure_saved, sender=Closure, dispatch_uid="bookings-closure")
        demo_loaded.connect(demo.load_demo_bookings, dispatch_uid="bookings-demo")
        from yakusho.bookings.queue import (
            setup as queue_setup,  # the queue tickets (整理券): metrics, panel, demo
        )

        queue_setup.ready()
