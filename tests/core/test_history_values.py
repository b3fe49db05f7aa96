"""The change history shown on staff pages reads as words: no "None", "True"/"False" or
"app.Model.None" from the audit trail reaches a page."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from yakusho.core.templatetags.yakusho import audit_value


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("None", "—"),
        (None, "—"),
        ("", "—"),
        ("plans.ReviewGrade.None", "—"),
        ("True", "はい"),
        ("False", "いいえ"),
        ("B 目標どおり", "B 目標どおり"),
        ("0", "0"),
    ],
)
def test_audit_values_read_as_words(stored: object, shown: str) -> None:
    assert audit_value(stored) == shown


@pytest.mark.django_db
def test_the_history_of_a_changed_record_shows_no_raw_values(demo) -> None:
    from yakusho.core.models import Department, Municipality

    town = Municipality.objects.get(slug="oe")
    department = Department.objects.create(municipality=town, name="試験課")
    department.is_demo = True
    department.phone = "0237-62-2111"
    department.save()
    html = Template("{% load yakusho %}{% history department %}").render(Context({"department": department}))
    changes = html[html.index("<tbody>") :]
    assert "0237-62-2111" in changes and "はい" in changes
    assert "None" not in changes and "False" not in changes and "True" not in changes
