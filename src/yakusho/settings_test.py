"""Settings for the test suite: a fast password hasher and mail kept in memory unless a test says."""

from yakusho.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
SECRET_KEY = "test-only-secret-key-not-for-production-use-0123456789"  # noqa: S105
YAKUSHO_OUTBOX = {**YAKUSHO_OUTBOX, "BACKOFF_BASE_SECONDS": 60}  # noqa: F405
# The live test server serves static files from the finders; WhiteNoise is for real servers.
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]  # noqa: F405
YAKUSHO_DEMO_REVIEWS = False  # tests that want them use the demo_with_reviews fixture
# A test process's list of suspended municipalities stays valid for the whole test (the tests
# suspend through core.suspension.suspend, which refreshes it): query counts do not depend on timing.
YAKUSHO_SUSPENSION_CHECK_SECONDS = 3600
# Rendered pages stay per process in tests, as each test clears them (tests/conftest.py): a page
# left in the database table by a committed test would outlive it. The tests of the shared table
# (tests/core/test_pagecache.py) turn it on.
CACHES = {alias: config for alias, config in CACHES.items() if alias != "built-pages"}  # noqa: F405
