"""Django settings for Yakusho.

Everything that differs between a laptop demo and a production host comes from the environment:
``YAKUSHO_SECRET_KEY``, ``DATABASE_URL``, ``YAKUSHO_DEBUG``, ``YAKUSHO_ALLOWED_HOSTS``,
``YAKUSHO_VAR_DIR`` and the ``YAKUSHO_EMAIL_*`` settings. Without ``DATABASE_URL`` the embedded
SQLite database under ``var/`` is used.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

from yakusho.core.secrets import load_secret_key

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = PACKAGE_DIR.parent.parent
DATA_DIR = Path(os.environ.get("YAKUSHO_DATA_DIR", BASE_DIR / "data"))
VAR_DIR = Path(os.environ.get("YAKUSHO_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("YAKUSHO_DEBUG")
SECRET_KEY = load_secret_key(VAR_DIR)
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("YAKUSHO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "auditlog",
    "ninja",
    "yakusho.core",
    "yakusho.metrics",
    "yakusho.plans",
    # a layer below the services (its demo catalogue is loaded before theirs, which name its items)
    "yakusho.payments",
    "yakusho.procedures",
    "yakusho.bookings",
    "yakusho.faq",
]

MIDDLEWARE = [
    # first: the request id, the request's log line and operator metrics time the whole stack
    "yakusho.core.requestlog.RequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "yakusho.core.middleware.InputGuardMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "yakusho.core.middleware.StaffTwoFactorMiddleware",
    # a page or API request naming a suspended municipality: 403 (system operators pass on staff pages)
    "yakusho.core.suspension.SuspensionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # auditlog's middleware, with the user looked up only when an audited change is written
    "yakusho.core.middleware.AuditActorMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "yakusho.urls"
WSGI_APPLICATION = "yakusho.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            "builtins": ["yakusho.core.templatetags.yakusho"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'yakusho.sqlite3'}"),
        conn_max_age=int(os.environ.get("YAKUSHO_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server and `yakusho send-mail` share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "staff:home"
LOGOUT_REDIRECT_URL = "public:home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 60 * 60
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# E-mail leaves only through the outbox (`yakusho send-mail`); this is the transport it uses.
EMAIL_BACKEND = os.environ.get("YAKUSHO_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("YAKUSHO_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("YAKUSHO_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("YAKUSHO_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("YAKUSHO_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("YAKUSHO_EMAIL_USE_TLS")
EMAIL_TIMEOUT = int(os.environ.get("YAKUSHO_EMAIL_TIMEOUT", "10"))
EMAIL_FILE_PATH = os.environ.get("YAKUSHO_EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = os.environ.get("YAKUSHO_DEFAULT_FROM_EMAIL", "noreply@yakusho.invalid")
YAKUSHO_OUTBOX = {
    "MAX_ATTEMPTS": 12,
    "BACKOFF_BASE_SECONDS": 60,
    "BACKOFF_MAX_SECONDS": 6 * 60 * 60,
    "LEASE_SECONDS": 300,
}
# /readyz answers "degraded" beyond these (core.readiness, docs/operations.md "Readiness").
YAKUSHO_READINESS = {
    # due mails waiting to be sent, and how long the oldest of them has waited
    "OUTBOX_MAX_DUE": int(os.environ.get("YAKUSHO_READY_OUTBOX_MAX_DUE", "500")),
    "OUTBOX_MAX_DUE_AGE_SECONDS": int(os.environ.get("YAKUSHO_READY_OUTBOX_MAX_DUE_AGE", "900")),
    # mails waiting for another try after a failed one (the mail server refuses or does not answer)
    "OUTBOX_MAX_RETRYING": int(os.environ.get("YAKUSHO_READY_OUTBOX_MAX_RETRYING", "20")),
    # a scheduled command whose last runs failed this many times in a row
    "COMMAND_MAX_FAILURES": int(os.environ.get("YAKUSHO_READY_COMMAND_MAX_FAILURES", "1")),
}
YAKUSHO_REVIEW_REMINDERS = {"DAYS_BEFORE": [14, 7, 1], "WEEKLY_WHEN_OVERDUE": True}
# Counter visits not finished within this many hours are abandoned and their personal data erased
# (`yakusho discard-counter-visits`).
YAKUSHO_COUNTER_DISCARD_HOURS = int(os.environ.get("YAKUSHO_COUNTER_DISCARD_HOURS", "8"))
# `yakusho demo` also loads the demo's yearly reviews (data/demo/reviews/); the tests load them
# only where they ask for them.
YAKUSHO_DEMO_REVIEWS = True
YAKUSHO_BASE_URL = os.environ.get("YAKUSHO_BASE_URL", "http://127.0.0.1:8000")

OTP_TOTP_ISSUER = "Yakusho"

# Everything another server process needs lives in the database: sessions, this cache (rate-limit
# counters), login-failure records (django-axes), so several `yakusho serve` processes act as one.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "yakusho_cache",
    },
    # Rate-limit counters: one atomic statement per count (yakusho.core.ratecounter), shared
    # through the database like the default cache.
    "ratelimit": {"BACKEND": "yakusho.core.ratecounter.RateCounterCache"},
    # Rendered public pages, per process, under keys that carry the data's version (core.pagecache;
    # the versions themselves are in the default cache, which every process shares).
    "pages": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "yakusho-pages",
        "TIMEOUT": 600,
        "OPTIONS": {"MAX_ENTRIES": 1000},
    },
    # Pages one process built, left for the others (core.pagecache): a process that misses a page
    # takes it from here instead of building it too, so one process in the server builds a large
    # page after a change instead of every worker (the CPU, and the memory a build leaves behind).
    # Its own table, so that its entries never cull the data versions of the default cache.
    "built-pages": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "yakusho_built_pages",
        "TIMEOUT": 600,
        "OPTIONS": {"MAX_ENTRIES": 2000},
    },
}
# Several servers: YAKUSHO_REDIS_URL (redis://127.0.0.1:6379/0) puts the default cache, the rendered
# pages and the rate-limit counters in Redis (Django's own backend), under YAKUSHO_CACHE_KEY_PREFIX.
YAKUSHO_REDIS_URL = os.environ.get("YAKUSHO_REDIS_URL", "")
if YAKUSHO_REDIS_URL:
    _redis = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": YAKUSHO_REDIS_URL,
        "KEY_PREFIX": os.environ.get("YAKUSHO_CACHE_KEY_PREFIX", "yakusho"),
    }
    # the rendered pages are shared there already: no "built-pages"
    CACHES = {
        "default": _redis,
        "ratelimit": {**_redis, "KEY_PREFIX": f"{_redis['KEY_PREFIX']}:ratelimit"},
        "pages": {**_redis, "KEY_PREFIX": f"{_redis['KEY_PREFIX']}:pages", "TIMEOUT": 600},
    }
#: the apps whose saved rows public pages show (their saves replace the pages' data version)
YAKUSHO_PAGE_DATA_APPS = ("plans", "metrics")

# Login lockout (django-axes): 5 failures for one e-mail address from one IP lock it for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "core/staff/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "yakusho.core.lockout.lockout_username"
# The client's address for the lockout, the rate limits and per-network counts (core.clientip):
# REMOTE_ADDR, or behind Yakusho's own reverse proxy (settings_production, YAKUSHO_BEHIND_PROXY) the
# address the proxy saw, from the last entry of X-Forwarded-For.
YAKUSHO_TRUST_FORWARDED_FOR = False
AXES_CLIENT_IP_CALLABLE = "yakusho.core.clientip.client_ip"

# Rate limits on public forms (django-ratelimit). Its counters live in the database (the
# "ratelimit" cache above: one atomic statement per count), so every server process shares them
# and Yakusho needs no separate cache server. (The app itself is not installed: its only content is
# a system check that insists on memcached or Redis.)
RATELIMIT_USE_CACHE = "ratelimit"
RATELIMIT_VIEW = "yakusho.core.views.public.ratelimited"
RATELIMIT_IP_META_KEY = "yakusho.core.clientip.client_ip"
RATELIMIT_PUBLIC_FORM = os.environ.get("YAKUSHO_RATELIMIT_PUBLIC_FORM", "20/m")
# Questions to the FAQ and the chat (the page, the panel, the API) from one address: a resident
# asks a few a minute; a flood is a script (docs/faq.md "Bad input").
RATELIMIT_FAQ_SEARCH = os.environ.get("YAKUSHO_RATELIMIT_FAQ_SEARCH", "40/m")

# Payments (docs/payments.md): the till's payment terminal adapter, extra adapter modules, the demo
# terminal's pause, and the amount above which a void or refund needs a second member of staff.
PAYMENT_TERMINAL = os.environ.get("YAKUSHO_PAYMENT_TERMINAL", "demo")
PAYMENT_TERMINAL_MODULES = [m for m in os.environ.get("YAKUSHO_PAYMENT_TERMINAL_MODULES", "").split(",") if m]
DEMO_TERMINAL_DELAY = float(os.environ.get("YAKUSHO_DEMO_TERMINAL_DELAY", "0"))
PAYMENTS_APPROVAL_YEN = int(os.environ.get("YAKUSHO_PAYMENTS_APPROVAL_YEN", "5000"))
# Online payment (docs/payments.md "Online payment"): the provider adapter, extra adapter modules,
# and the local demo provider's address and shared secret (`yakusho demo-payment-provider`).
PAYMENT_PROVIDER = os.environ.get("YAKUSHO_PAYMENT_PROVIDER", "demo")
PAYMENT_PROVIDER_MODULES = [m for m in os.environ.get("YAKUSHO_PAYMENT_PROVIDER_MODULES", "").split(",") if m]
PAYMENT_PROVIDER_DEMO_URL = os.environ.get("YAKUSHO_PAYMENT_PROVIDER_DEMO_URL", "http://127.0.0.1:8010")
PAYMENT_PROVIDER_DEMO_SECRET = os.environ.get(
    "YAKUSHO_PAYMENT_PROVIDER_DEMO_SECRET", "demo-provider-secret-0123456789"
)
# How long a submission whose fee is paid before it counts (支払待ち) waits for its payment before it
# is erased, and how long a booking with a fee holds its place while the resident pays.
SUBMISSION_PAYMENT_HOURS = int(os.environ.get("YAKUSHO_SUBMISSION_PAYMENT_HOURS", "24"))
BOOKING_PAYMENT_MINUTES = int(os.environ.get("YAKUSHO_BOOKING_PAYMENT_MINUTES", "30"))

# Content-Security-Policy (django-csp): our own scripts and styles only, nothing inline.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
AUDITLOG_INCLUDE_ALL_MODELS = False

# Operator metrics at /-/metrics (core.opsmetrics, docs/monitoring.md): off unless this token is set.
YAKUSHO_METRICS_TOKEN = os.environ.get("YAKUSHO_METRICS_TOKEN", "").strip()

# YAKUSHO_LOG_FORMAT=json: one JSON object a line (core.requestlog.JsonLineFormatter); the request
# line (logger yakusho.request, INFO) shows with YAKUSHO_REQUEST_LOG_LEVEL=INFO (docs/monitoring.md).
LOG_LEVEL = os.environ.get("YAKUSHO_LOG_LEVEL", "WARNING")
LOG_FORMAT = os.environ.get("YAKUSHO_LOG_FORMAT", "text").strip().lower()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # secrets of mailed links never reach the log (core.accesslog; gunicorn's access log likewise);
    # every record logged during a request carries its id (core.requestlog)
    "filters": {
        "secrets": {"()": "yakusho.core.accesslog.RedactSecrets"},
        "request": {"()": "yakusho.core.requestlog.RequestContext"},
    },
    "formatters": {"json": {"()": "yakusho.core.requestlog.JsonLineFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["secrets", "request"],
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Django's own loggers through the same filtered handler only (its defaults add handlers of
    # their own under DEBUG, which would print "Not Found: <path>" unfiltered)
    "loggers": {
        **{
            name: {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False}
            for name in ("django", "django.server")
        },
        "yakusho.request": {
            "handlers": ["console"],
            "level": os.environ.get("YAKUSHO_REQUEST_LOG_LEVEL", LOG_LEVEL),
            "propagate": False,
        },
    },
}
