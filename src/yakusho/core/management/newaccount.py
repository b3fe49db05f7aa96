"""The new staff account that ``createadmin`` and ``createoperator`` make when the e-mail address has
none: its password from the environment, or asked at a terminal, checked by the password validators."""

from __future__ import annotations

import getpass
import os
import sys

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from yakusho.core.models import User


def new_account(email: str, name: str, password_env: str) -> User:
    """An unsaved account for ``email`` with a checked password (CommandError in Japanese if not)."""
    password = os.environ.get(password_env)
    if not password:
        if not sys.stdin.isatty():
            raise CommandError(f"パスワードを環境変数 {password_env} で渡してください。")
        password = getpass.getpass("パスワード: ")
    user = User(email=email, display_name=name)
    try:
        user.full_clean(exclude=["password"])
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise CommandError(" ".join(exc.messages)) from None
    user.set_password(password)
    return user
