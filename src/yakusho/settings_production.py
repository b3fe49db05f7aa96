"""Production settings: HTTPS only, secure cookies, HSTS; the secret key must come from the environment.

Use with ``DJANGO_SETTINGS_MODULE=yakusho.settings_production``. Behind a reverse proxy that
terminates TLS, set ``YAKUSHO_BEHIND_PROXY=1`` so Django trusts its ``X-Forwarded-Proto`` header.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from yakusho.settings import *  # noqa: F403
from yakusho.settings import env_bool

if not os.environ.get("YAKUSHO_SECRET_KEY"):
    raise ImproperlyConfigured("YAKUSHO_SECRET_KEY must be set in production.")

DEBUG = False
SECURE_SSL_REDIRECT = env_bool("YAKUSHO_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("YAKUSHO_HSTS_SECONDS", str(365 * 24 * 60 * 60)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("YAKUSHO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("YAKUSHO_HSTS_PRELOAD", True)
if env_bool("YAKUSHO_BEHIND_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # the client's address from the proxy's X-Forwarded-For (core.clientip): rate limits and the
    # sign-in lockout count each resident, not the proxy
    YAKUSHO_TRUST_FORWARDED_FOR = True
