"""The staff inbox's CSV and Excel exports are safe to open (issue 15): answers that would start a
formula are neutralised, numbers stay numbers. The helper's own tests: tests/test_exports_safe.py."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.helpers import login_verified
from tests.procedures.submission_helpers import make_submission
from tests.spreadsheet_checks import PAYLOADS, assert_text_cell, read_csv, read_xlsx, safe
from yakusho.procedures.models import Submission

pytestmark = pytest.mark.django_db


# --- the submissions inbox (procedures.submissions.inbox_exports) ------------------------------


@pytest.fixture
def submitted(town, client: Client) -> dict[str, str]:
    """One submission of the dog registration per payload, as the dog's name and breed; returns
    submission code → payload. The client is signed in as the town's administrator."""
    codes = {}
    for payload in PAYLOADS:
        submission = make_submission(town["dog"], dog_name=payload, breed=payload).submission
        # The form trims a tab or line break in front ("\t=1" is kept as "=1", neutralised too);
        # the answers are set as typed so that the export is shown to hold for them as well.
        data = {**submission.data, "dog_name": payload, "breed": payload}
        Submission.objects.filter(pk=submission.pk).update(data=data)
        codes[submission.display_code] = payload
    login_verified(client, town["staff"]["admin"].user)
    return codes


def _inbox_url(town: dict[str, Any], fmt: str) -> str:
    return reverse("inbox:export", args=[town["town"].slug, fmt])


def test_inbox_csv_neutralises_answers(town, client: Client, submitted) -> None:
    rows = read_csv(client.get(_inbox_url(town, "csv")))
    header, body = rows[0], rows[1:]
    dog, breed, version = header.index("犬の名前"), header.index("犬の種類"), header.index("フォームの版")
    assert len(body) == len(PAYLOADS)
    for row in body:
        payload = submitted[row[0]]
        assert row[dog] == safe(payload) and row[breed] == safe(payload)
        assert row[version] == "1"  # a number, not text


@pytest.mark.excel
def test_inbox_excel_neutralises_answers(town, client: Client, submitted) -> None:
    sheet = read_xlsx(client.get(_inbox_url(town, "xlsx"))).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    dog, breed, version = header.index("犬の名前"), header.index("犬の種類"), header.index("フォームの版")
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == len(PAYLOADS)
    for row in rows:
        payload = submitted[row[0].value]
        assert_text_cell(row[dog], payload)
        assert_text_cell(row[breed], payload)
        assert (row[version].value, row[version].data_type) == (1, "n")
