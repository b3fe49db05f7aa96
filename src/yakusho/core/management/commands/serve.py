"""``yakusho serve``: gunicorn (threaded workers) serving Yakusho, static files through WhiteNoise.

Workers share nothing but the database: sessions, the cache and rate-limit counters live there,
so several ``yakusho serve`` processes, on one host or several, behave as one.
"""

from __future__ import annotations

import multiprocessing
from typing import Any

from django.core.management.base import BaseCommand


def default_workers() -> int:
    """Worker processes by default: one per core and two more, at most 9.

    Each worker runs four threads, and a process runs Python on one core at a time (the
    interpreter's lock), so one per core keeps every core busy, and the two more cover the time a
    worker's threads all wait on the database. ``2 × cores + 1``, gunicorn's rule for one-thread
    workers, gave five on two cores: no more requests per second than four (measured with
    ``make bench``), and each worker holds 30–60 MB of its own (docs/operations.md, "Sizing")."""
    return min(multiprocessing.cpu_count() + 2, 9)


class Command(BaseCommand):
    help = "Serve Yakusho with gunicorn (default http://127.0.0.1:8000)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=default_workers())
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--access-log", action="store_true", help="log every request to stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        from gunicorn.app.base import BaseApplication

        from yakusho.core import opsmetrics

        # Operator metrics on (a token is set): the workers write their figures to files in one
        # directory, named in the environment before the application is loaded or any worker forks;
        # a scrape adds them up (prometheus-client's multiprocess mode, docs/monitoring.md).
        metrics_dir = opsmetrics.prepare_multiprocess_dir() if opsmetrics.enabled() else None

        from yakusho.core import prefork

        prefork.limit_malloc_arenas()
        from yakusho.wsgi import application

        # Loaded once here and shared by the forked workers (preload_app): the first request of
        # a worker costs no more than the others, and the workers share these pages instead of
        # each loading its own copy. No database connection is opened before the fork.
        prefork.prepare()

        config = {
            "bind": f"{options['host']}:{options['port']}",
            "workers": options["workers"],
            "threads": options["threads"],
            "worker_class": "gthread",
            "preload_app": True,
            "timeout": 60,
            "graceful_timeout": 20,
            "keepalive": 5,
            "accesslog": "-" if options["access_log"] else None,
            # the access log leaves out the secrets that mailed links carry (core.accesslog)
            "logger_class": "yakusho.core.accesslog.RedactingLogger",
            "proc_name": "yakusho",
            # gunicorn's control socket defaults to one path per user, which a second server on
            # the same host would take over; Yakusho does not use it.
            "control_socket_disable": True,
            # a dead worker's live gauges are dropped from the metrics (its counts stay)
            "child_exit": opsmetrics.child_exit if metrics_dir else None,
        }

        class Server(BaseApplication):
            def load_config(self) -> None:
                for key, value in config.items():
                    if value is not None:
                        self.cfg.set(key, value)

            def load(self) -> Any:
                return application

        self.stdout.write(
            f"Yakusho: http://{options['host']}:{options['port']}/  "
            f"({options['workers']} workers × {options['threads']} threads; Ctrl+C to stop)"
        )
        if metrics_dir:
            self.stdout.write(f"Operator metrics: /-/metrics (token required; worker files in {metrics_dir})")
        self.stdout.flush()
        Server().run()
