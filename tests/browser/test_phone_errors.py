"""On a phone: a page of empty fields shows all its errors at once, with the summary at the top.

大江町's 粗大ごみ収集の申込, as a resident on a 390 px phone: 「次へ」 on the empty first page names
every field left empty in one summary, which takes the focus and links to each input; on the items
page 「品目の名前」 shows only once 「その他」 is chosen, its error comes with the others in the same
submit, and each error (with its summary line) goes as soon as the field is filled in. Axe-clean
with the errors shown.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, ContextFactory
from tests.browser.test_accessibility import axe_violations
from tests.browser.test_submission_journey import click, field

pytestmark = pytest.mark.browser


def test_a_page_of_empty_fields_shows_all_its_errors_with_the_summary(
    site_with_plans: str, new_context: ContextFactory
) -> None:
    page = new_context(viewport=PHONE, bypass_csp=True).new_page()  # CSP bypassed for axe only
    page.goto(site_with_plans + reverse("procedures:apply", args=["oe", "sodai-gomi"]))
    page.get_by_label("個人情報の取扱いに同意する").check()
    click(page, "同意して申請を始める")

    click(page, "次へ")
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("入力内容に誤りがあります（7件）")
    expect(summary.get_by_role("link")).to_have_count(7)  # 姓 名 セイ メイ, 郵便番号 住所, 電話番号
    summary.get_by_role("link", name="「申込者の氏名：名」を入力してください。").click()
    expect(page.locator("#f-name-given_name")).to_be_focused()
    assert axe_violations(page) == [], json.dumps(axe_violations(page), ensure_ascii=False)

    for label, value in [
        ("姓", "大江"),
        ("名", "花子"),
        ("セイ", "オオエ"),
        ("メイ", "ハナコ"),
        ("郵便番号", "990-1101"),
        ("住所", "山形県西村山郡大江町大字左沢882-1"),
        ("電話番号（日中に連絡のつく番号）", "0237-62-2111"),
    ]:
        field(page, label).fill(value)
    click(page, "次へ")

    item_name = field(page, "品目の名前").first
    expect(item_name).to_be_hidden()  # not asked for until 「その他」 is chosen
    field(page, "品目").first.select_option("other")
    expect(item_name).to_be_visible()
    click(page, "次へ")
    expect(summary.get_by_role("heading")).to_have_text("入力内容に誤りがあります（3件）")
    expect(summary.get_by_role("link")).to_have_text(
        [
            "「品目（1件目）：品目の名前」を入力してください。",
            "「品目（1件目）：大きさ」を選んでください。",
            "「収集希望日」を入力してください。",
        ]
    )
    field(page, "品目の名前").first.fill("電子レンジ台")  # met: its error and its line go at once
    expect(page.locator("#f-items-0-other_name-error")).to_have_count(0)
    expect(summary.get_by_role("heading")).to_have_text("入力内容に誤りがあります（2件）")
    page.locator("#f-items-0-size").get_by_label("大（1.5mを超える）").check()
    expect(summary.get_by_role("link")).to_have_text(["「収集希望日」を入力してください。"])
    assert axe_violations(page) == [], json.dumps(axe_violations(page), ensure_ascii=False)
