from __future__ import annotations

from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from yakusho.core.models import User


def login_verified(client: Client, user: User) -> TOTPDevice:
    """Sign ``user`` in as if a TOTP code had been entered (administrators need it)."""
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="test", defaults={"confirmed": True})
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return device
