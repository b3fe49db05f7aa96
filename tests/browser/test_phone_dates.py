"""On a phone, 「12月14日」 typed in a date box is accepted (issue 18's "done when"), and a date to
come is chosen with the browser's date picker; the check page shows both as 和暦 with 西暦."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.browser.test_submission_journey import click, field
from tests.core.test_dates_typed import FORM
from tests.procedures.helpers import make_procedure
from yakusho.core.jcal import format_date
from yakusho.core.models import Department, Municipality
from yakusho.procedures.catalogue.services import add_form_definition
from yakusho.procedures.formengine.dates import today_in_japan

pytestmark = pytest.mark.browser


def test_a_month_and_day_typed_on_a_phone_is_accepted(site: str, phone_page: Page) -> None:
    town = Municipality.objects.get(slug="oe")
    department = Department.objects.filter(municipality=town).first()
    assert department is not None
    procedure = make_procedure(town, department, "dates", "日付の申込", channels=(("yakusho", "available"),))
    add_form_definition(procedure, FORM)
    today = today_in_japan()
    this_year = today.replace(month=12, day=14)
    moved = this_year if this_year <= today else this_year.replace(year=today.year - 1)  # 転入日: up to today
    chosen = today + timedelta(days=10)

    phone_page.goto(site + reverse("procedures:apply", args=[town.slug, procedure.key]))
    phone_page.get_by_label("個人情報の取扱いに同意する").check()
    click(phone_page, "同意して申請を始める")
    field(phone_page, "転入日").fill("12月14日")
    picker = field(phone_page, "収集希望日")
    expect(picker).to_have_attribute("type", "date")
    picker.fill(chosen.isoformat())
    click(phone_page, "次へ")

    expect(phone_page.get_by_role("heading", level=1)).to_have_text("入力内容の確認")
    main = phone_page.locator("main")
    expect(main).to_contain_text(format_date(moved, language="ja"))
    expect(main).to_contain_text(format_date(chosen, language="ja"))
