from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "yakusho.core"
    label = "core"
    verbose_name = _("基盤")

    def ready(self) -> None:
        from yakusho.core import audit, checks  # noqa: F401 - registers models and checks
        from yakusho.core.scheduling import schedule
        from yakusho.core.setup_files import setup_files
        from yakusho.core.ui import panels

        audit.register_models()
        # An id beyond 64 bits in an `in` or through a foreign key finds nothing (SQLite would raise).
        from yakusho.core import lookups

        lookups.register()
        # Apps contribute staff-home panels and public links from their own `panels.py`, the
        # files a first run imports from their `setup_files.py`, and their scheduled commands from
        # their `schedule.py`.
        panels.autodiscover()
        setup_files.autodiscover()
        schedule.autodiscover()
        # Saves and deletes of what public pages show replace their data version (core.pagecache).
        from yakusho.core import pagecache

        pagecache.connect()
        # ...and the gauges of the operator metrics from their `ops_metrics.py` (the token's check
        # is registered by importing the module; prometheus_client itself is imported only when used)
        from yakusho.core.opsmetrics import ops_gauges

        ops_gauges.autodiscover()
