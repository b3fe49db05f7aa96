"""``yakusho demo-payment-provider``: serve the demo payment provider until interrupted.

A separate process on purpose: Yakusho reaches it over HTTP with the API key and gets its signed
notifications back over HTTP, exactly as with a real provider, so stopping this process is how one
sees what Yakusho does when its provider is down. Everything is kept in memory: restarting it
forgets every checkout (documented in docs/payments.md).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from yakusho.payments.providers.demo_service import DEFAULT_SECRET, start


class Command(BaseCommand):
    help = "Serve the demo payment provider (default http://127.0.0.1:8010); Ctrl-C stops it."
    # it touches neither the database nor the models: start at once, even before `migrate`
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8010)
        parser.add_argument(
            "--secret", default=None, help="the shared secret (default: PAYMENT_PROVIDER_DEMO_SECRET)"
        )
        parser.add_argument(
            "--base-url",
            default=None,
            help="what the pay URLs start with, when browsers reach it another way (default: http://host:port)",
        )
        parser.add_argument("--quiet", action="store_true", help="no line per request")

    def handle(self, *args: Any, **options: Any) -> None:
        secret = (
            options["secret"] or getattr(settings, "PAYMENT_PROVIDER_DEMO_SECRET", None) or DEFAULT_SECRET
        )
        server = start(
            host=options["host"],
            port=options["port"],
            secret=secret,
            base_url=options["base_url"],
            log=None if options["quiet"] else self._log,
        )
        self.stdout.write(f"demo payment provider: {server.url}")
        self.stdout.flush()
        if secret == DEFAULT_SECRET and options["host"] not in ("127.0.0.1", "localhost", "::1"):
            self.stderr.write("the default secret is public: set YAKUSHO_PAYMENT_PROVIDER_DEMO_SECRET")
        try:
            server.wait()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
            self.stdout.write("stopped (every checkout is forgotten)")

    def _log(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
