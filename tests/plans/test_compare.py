"""Plans side by side: all five in the demo, and a consortium's members; refusals."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.helpers import login_verified
from yakusho.core.models import User
from yakusho.plans.models import Plan

pytestmark = pytest.mark.django_db

NAMES = ("潟上市", "潮来市", "村上市", "大江町", "美郷町")


def test_compare_shows_all_five_plans(demo_with_plans, client: Client) -> None:
    page = client.get(reverse("plans:compare")).content.decode()
    for name in NAMES:
        assert name in page
    assert "国の計画の項目ごとの取組数" in page
    assert "マイナンバーカード保有率" in page  # a standard indicator two plans share or one uses
    assert "令和6年度〜令和11年度" in page


def test_compare_a_chosen_pair(demo_with_plans, client: Client) -> None:
    page = client.get(
        reverse("plans:compare") + "?plans=oe/oe-dx&plans=misato/misato-dx-action-plan"
    ).content.decode()
    assert "大江町" in page and "美郷町" in page and "潮来市DX推進計画" not in page


@pytest.mark.parametrize("query", ["?plans=oe/none", "?plans=nowhere/oe-dx"])
def test_unknown_plans_are_refused(demo_with_plans, client: Client, query: str) -> None:
    response = client.get(reverse("plans:compare") + query)
    assert response.status_code == 403 and "比較できない計画" in response.content.decode()


def test_unpublished_plans_are_refused(demo_with_plans, client: Client) -> None:
    Plan.objects.filter(key="oe-dx").update(published=False)
    assert client.get(reverse("plans:compare") + "?plans=oe/oe-dx").status_code == 403
    assert "大江町DX推進計画" not in client.get(reverse("plans:compare")).content.decode()


def test_malformed_selection_falls_back_with_a_message(demo_with_plans, client: Client) -> None:
    page = client.get(reverse("plans:compare") + "?plans=oe").content.decode()
    assert "正しくない" in page and "村上市" in page


def test_consortium_page_opens_on_its_members_plans(demo_with_plans, client: Client) -> None:
    login_verified(client, User.objects.get(email="consortium@example.jp"))
    page = client.get(reverse("staff:consortium", args=["akita"])).content.decode()
    assert "構成団体のDX推進計画の比較" in page
    assert "潟上市DX推進計画" in page and "美郷町DX推進基本計画" in page
    assert "大江町DX推進計画" not in page  # not a member of 秋田県
    url = reverse("plans:consortium_compare", args=["akita"])
    assert client.get(url + "?plans=katagami/katagami-dx").status_code == 200
    refused = client.get(url + "?plans=katagami/katagami-dx&plans=oe/oe-dx")
    assert refused.status_code == 403 and "構成団体以外" in refused.content.decode()


def test_consortium_compare_needs_consortium_staff(demo_with_plans, client: Client) -> None:
    url = reverse("plans:consortium_compare", args=["akita"])
    assert client.get(url).status_code == 302  # to the login page
    login_verified(client, User.objects.get(email="dx@example.jp"))
    assert client.get(url).status_code == 403
