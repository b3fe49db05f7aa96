from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FaqConfig(AppConfig):
    name = "yakusho.faq"
    label = "faq"
    verbose_name = _("よくある質問")

    def ready(self) -> None:
        from yakusho.core.demo import demo_loaded
        from yakusho.core.prefork import preparing
        from yakusho.faq import audit, signals
        from yakusho.faq.demo import knowledge as demo_knowledge
        from yakusho.faq.demo import queries as demo_queries
        from yakusho.faq.search import warm_indexes

        audit.register_models()
        signals.connect()
        preparing.connect(warm_indexes, dispatch_uid="faq-warm-indexes")
        demo_loaded.connect(demo_knowledge.load_demo_faq, dispatch_uid="faq-demo")
        # after the FAQ itself: the demo log is answered by the demo entries
        demo_loaded.connect(demo_queries.load_demo_query_log, dispatch_uid="faq-demo-queries")
