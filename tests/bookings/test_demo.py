"""The demo's booking resources: loaded with the demo, marked as demo data, idempotent."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from yakusho.bookings.demo.bookings import load_demo_bookings
from yakusho.bookings.models import Resource, Slot

pytestmark = pytest.mark.django_db


def test_demo_resources_load_idempotently(demo, client: Client) -> None:
    load_demo_bookings()
    counts = (Resource.objects.count(), Slot.objects.count())
    load_demo_bookings()
    assert (Resource.objects.count(), Slot.objects.count()) == counts
    assert counts[0] == 8 and counts[1] > 100
    assert all(r.is_demo and r.name.startswith("【デモ】") for r in Resource.objects.all())
    kinds = set(Resource.objects.values_list("municipality__slug", "kind"))
    assert {
        ("oe", "room"),
        ("oe", "counter"),
        ("oe", "class"),
        ("misato", "room"),
        ("misato", "health_check"),
        ("misato", "class"),
        ("itako", "health_check"),
        ("itako", "consultation"),
    } == kinds
    sumaho = Resource.objects.get(municipality__slug="oe", key="sumaho-kyoshitsu")
    assert sumaho.slots.count() == 10  # 5 sessions a year (大江町's target), this and next fiscal year
    page = client.get(reverse("bookings:list", args=["misato"])).content.decode()
    assert "【デモ】スマホ教室" in page and "デモデータ" in page
