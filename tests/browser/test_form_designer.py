"""The form designer in Chromium (issue 8's "done when": staff design a new form, publish it, and it
appears in the catalogue).

Department staff of 大江町 create a procedure, build its form on three pages (a radio button, a
field shown only for one of its options, a phone number), try a change the form engine refuses and
read why, preview the form at phone width (the engine's messages for empty answers), publish the
first version; a resident then finds it by a hiragana search and its apply page shows the first page.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import PHONE, ContextFactory
from tests.browser.test_staff_login import log_in
from yakusho.procedures.models import FormDefinition, Procedure

pytestmark = pytest.mark.browser

DEPARTMENT_STAFF = "dept@example.jp"  # the demo's 担当課職員: bound to each town's first 課
NAME = "ペット霊園の利用申込"


def click(page: Page, name: str, scope: Page | Locator | None = None) -> None:
    with page.expect_navigation():
        (scope or page).get_by_role("button", name=name, exact=True).click()


def field(scope: Page | Locator, label: str) -> Locator:
    """An input by its visible label (a required one's label ends in 「必須」)."""
    return scope.get_by_label(re.compile(rf"^{re.escape(label)}(\s*必須)?$"))


def page_box(page: Page, number: int) -> Locator:
    return page.locator(".designer-page").nth(number - 1)


def add_field(page: Page, number: int, type_label: str, label: str) -> None:
    box = page_box(page, number).locator("form.designer-add").last
    box.get_by_label("種類").select_option(label=type_label)
    box.get_by_label("ラベル（住民が読む質問）").fill(label)
    click(page, "項目を追加", box)
    expect(page.get_by_role("status")).to_contain_text(f"項目「{label}」を追加しました。")


def edit_field(page: Page, label: str) -> None:
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile(rf"^編集\s*：{re.escape(label)}$")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"項目「{label}」")


def add_page(page: Page, title: str) -> None:
    page.get_by_label("新しいページの題名").fill(title)
    click(page, "ページを追加")
    expect(page.get_by_role("status")).to_contain_text(f"ページ「{title}」を追加しました。")


def test_staff_design_publish_and_the_form_is_in_the_catalogue(
    site: str, new_context: ContextFactory
) -> None:
    page = new_context().new_page()
    log_in(page, site, DEPARTMENT_STAFF)
    page.goto(f"{site}/staff/m/oe/procedures/")

    # A new procedure: unpublished until its form is published.
    with page.expect_navigation():
        page.get_by_role("link", name="新しい手続を作る").click()
    field(page, "手続名").fill(NAME)
    field(page, "よみがな").fill("ぺっとれいえんのりようもうしこみ")
    page.get_by_label("担当課").select_option(index=1)
    field(page, "概要").fill("町営ペット霊園の個別区画・合同区画の利用を申し込みます。")
    page.get_by_label("ペット", exact=True).check()
    click(page, "手続を作る")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"フォームデザイナー：{NAME}")
    expect(page.get_by_role("status")).to_contain_text(f"手続「{NAME}」を作りました")
    procedure = Procedure.objects.get(name=NAME)
    assert not procedure.published

    # Page 1 (the skeleton asks the applicant's name): add a radio button with two options.
    expect(page_box(page, 1)).to_contain_text("申請者の氏名")
    add_field(page, 1, "ラジオボタン（ひとつ選ぶ）", "利用する区画")
    edit_field(page, "利用する区画")
    field(page, "キー").fill("plot")
    field(page, "選択肢（1行に1つ）").fill("kobetsu=個別区画\ngoudou=合同区画")
    page.get_by_label("必須にする").check()
    click(page, "保存する")
    expect(page.get_by_role("status")).to_contain_text("項目「利用する区画」を保存しました。")

    # Two more pages; page 2's field is shown only for 個別区画 (a visibility rule).
    add_page(page, "区画の希望")
    add_page(page, "連絡先")
    edit_field(page, "新しい項目")  # the field a new page starts with (page 2's comes first)
    field(page, "キー").fill("plot_wish")
    field(page, "ラベル（住民が読む質問）").fill("希望する区画の番号")
    field(page, "表示条件").fill("plot == 'kobetsu'")
    click(page, "保存する")
    expect(page_box(page, 2)).to_contain_text("plot == 'kobetsu'")
    edit_field(page, "新しい項目")
    field(page, "ラベル（住民が読む質問）").fill("電話番号")
    click(page, "保存する")
    edit_field(page, "電話番号")
    page.get_by_label("新しい種類").select_option(label="電話番号")
    click(page, "種類を変える")
    expect(page.get_by_role("status")).to_contain_text("項目の種類を「電話番号」に変えました。")
    page.get_by_label("必須にする").check()
    click(page, "保存する")

    # A change the engine refuses: page 1's field may not look at an answer on a later page.
    edit_field(page, "利用する区画")
    field(page, "表示条件").fill("filled(plot_wish)")
    click(page, "保存する")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("この変更はできません（何も保存していません）")
    expect(alert).to_contain_text("1ページ目「申請者」の項目「利用する区画」：表示条件：")
    expect(alert).to_contain_text("「plot_wish」は後のページの項目です")
    expect(field(page, "表示条件")).to_have_value("filled(plot_wish)")
    with page.expect_navigation():
        page.get_by_role("link", name="戻る", exact=True).click()
    expect(page_box(page, 1)).not_to_contain_text("filled(plot_wish)")

    # Preview as a resident on a phone: every page, the real inputs, the engine's messages.
    page.set_viewport_size(PHONE)
    with page.expect_navigation():
        page.get_by_role("link", name="スマートフォンでプレビュー").click()
    preview = page.locator(".designer-preview-phone")
    expect(preview).to_be_visible()
    box = preview.bounding_box()
    assert box is not None and box["width"] <= PHONE["width"], box
    for label in ("申請者の氏名", "姓", "利用する区画", "個別区画", "希望する区画の番号", "電話番号"):
        expect(preview).to_contain_text(label)
    expect(preview.get_by_label("合同区画")).to_be_visible()
    expect(preview.locator(".progress-step")).to_have_text(["1 / 3", "2 / 3", "3 / 3"])
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the preview scrolls sideways by {overflow}px"
    click(page, "入力例を確認する")
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("「利用する区画」を選んでください。")
    expect(summary).to_contain_text("「電話番号」を入力してください。")
    page.set_viewport_size({"width": 1280, "height": 900})

    # Publish: the confirmation lists what is new; then version 1 is live.
    with page.expect_navigation():
        page.get_by_role("link", name="デザイナーに戻る").click()
    with page.expect_navigation():
        page.get_by_role("link", name="公開する…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("第1版として公開する")
    changes = page.locator(".designer-changes")
    for text in ("利用する区画（plot）", "希望する区画の番号（plot_wish）", "区画の希望", "連絡先"):
        expect(changes).to_contain_text(text)
    click(page, "第1版を公開する")
    expect(page.get_by_role("status")).to_contain_text("フォームの第1版を公開しました。")
    expect(page.locator("table")).to_contain_text("（公開中）")
    stored = FormDefinition.objects.get(procedure=procedure)
    assert (stored.version, stored.source) == (1, "designer")

    # The public catalogue finds it by its reading, with the apply button, and applying starts.
    resident = new_context(viewport=PHONE).new_page()
    resident.goto(f"{site}/m/oe/procedures/")
    resident.get_by_label("キーワード").fill("ぺっとれいえん")
    click(resident, "探す")
    expect(resident.locator(".procedure-title a")).to_have_text([NAME])
    expect(resident.locator(".procedure-item")).to_contain_text("このサイトで申請できます")
    with resident.expect_navigation():
        resident.get_by_role("link", name=NAME, exact=True).click()
    with resident.expect_navigation():
        resident.get_by_role("link", name="オンラインで申請する").click()
    resident.get_by_label("個人情報の取扱いに同意する").check()
    click(resident, "同意して申請を始める")
    expect(resident.get_by_role("heading", level=1)).to_have_text("申請者")
    expect(resident.locator(".progress-step")).to_have_text("1 / 3")
    expect(resident.get_by_role("group", name=re.compile("^申請者の氏名"))).to_be_visible()
    expect(resident.get_by_role("group", name=re.compile("^利用する区画"))).to_be_visible()
