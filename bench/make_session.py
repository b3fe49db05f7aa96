"""Create a logged-in session for a demo user without going through the login form.

The login form is rate-limited and locks accounts out, so the benchmark must not hammer it. This
script runs in the benchmark's environment (same database, same secret key) and prints, as JSON,
the session cookie's name and value: ``{"cookie": "sessionid", "value": "..."}``.

Usage: ``.venv/bin/python bench/make_session.py [--email dx@example.jp]``
"""

from __future__ import annotations

import argparse
import json
import os
from importlib import import_module


def session_backend() -> str:
    """The first configured backend that can load a user back from a session.

    Not simply the first one: guards such as axes' ``AxesStandaloneBackend`` come first in
    ``AUTHENTICATION_BACKENDS`` but only refuse locked-out logins and have no ``get_user``.
    """
    from django.conf import settings
    from django.contrib.auth import load_backend

    for path in settings.AUTHENTICATION_BACKENDS:
        if callable(getattr(load_backend(path), "get_user", None)):
            return str(path)
    raise RuntimeError("no authentication backend implements get_user()")


def make_session(email: str) -> dict[str, str]:
    """Store a session that authenticates ``email`` exactly as ``django.contrib.auth.login`` would."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model

    user_model = get_user_model()
    user = user_model._default_manager.get(**{str(user_model.USERNAME_FIELD): email})
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = session_backend()
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    if not store.session_key:
        raise RuntimeError("the session store returned no key")
    return {"cookie": settings.SESSION_COOKIE_NAME, "value": store.session_key}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--email", default="dx@example.jp")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yakusho.settings")
    print(json.dumps(make_session(args.email)))


if __name__ == "__main__":
    main()
