"""The resident's way through an online form: notice, pages, check, submit, receipt, status."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.procedures.submission_helpers import (
    FORMS,
    PAGE1,
    PAGE2,
    PAGE3,
    apply_url,
    check_url,
    fill_in,
    form_data,
    hidden,
    page_url,
    png,
)
from yakusho.core.models import OutboundEmail
from yakusho.procedures.models import Submission, SubmissionAttachment


def test_whole_flow_stores_one_submission_with_its_file(town, client: Client) -> None:
    t = town["town"]
    response = client.get(apply_url(t))
    assert response.status_code == 200
    assert "個人情報の取扱い" in response.content.decode()
    token = fill_in(client, t)
    response = client.get(check_url(t))
    body = response.content.decode()
    assert response.status_code == 200
    assert "大江 花子" in body and "ポチ" in body and "cert.png" in body
    assert "?return=check" in body  # change links
    response = client.post(check_url(t), {"_token": token, "_version": "1"})
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert response["Location"] == reverse("submissions:done", args=[t.slug, "inu-toroku", submission.code])
    assert submission.applicant_name == "大江 花子"
    assert submission.data["owner"]["postal_code"] == "990-1101"
    assert submission.form_version == 1 and submission.deadline is not None
    attachment = SubmissionAttachment.objects.get()
    assert attachment.name == "cert.png" and attachment.field_key == "certificate"
    done = client.get(response["Location"])
    text = done.content.decode()
    assert submission.display_code in text and "照会キー" in text
    mail = OutboundEmail.objects.get()
    assert mail.to == ["hanako@example.jp"] and submission.display_code in mail.subject
    assert "/submissions/" in mail.body and "?k=" in mail.body
    status_link = mail.body.split("http://127.0.0.1:8000", 1)[1].split()[0]
    client.logout()  # the mailed link opens the page in another browser too
    opened = client.get(status_link)
    clean = reverse("submissions:status", args=[t.slug, submission.code])
    assert opened.status_code == 302 and opened["Location"] == clean  # the key leaves the address
    status = client.get(clean)
    assert status.status_code == 200
    assert "受付" in status.content.decode()
    file_url = reverse("submissions:status_file", args=[t.slug, submission.code, attachment.pk])
    got = client.get(file_url)
    content = b"".join(got.streaming_content)  # type: ignore[attr-defined]
    assert got.status_code == 200 and content.startswith(b"\x89PNG")


def test_progress_and_back_keep_input(town, client: Client) -> None:
    t = town["town"]
    client.post(apply_url(t), {"agree": "yes"})
    first = client.get(page_url(t, 1))
    assert "1 / 3" in first.content.decode()
    common = {"_token": hidden(first, "_token"), "_version": "1"}
    client.post(page_url(t, 1), {**PAGE1, **common})
    second = client.get(page_url(t, 2))
    assert "2 / 3" in second.content.decode()
    back = client.get(page_url(t, 1))
    assert 'value="大江"' in back.content.decode()


def test_privacy_notice_must_be_agreed(town, client: Client) -> None:
    response = client.post(apply_url(town["town"]), {})
    assert response.status_code == 400
    assert "同意する」にチェック" in response.content.decode()
    assert client.get(page_url(town["town"], 1)).status_code == 302  # no draft yet


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "12345", "電話番号"),
        ("email", "not-an-address", "メールアドレスの形式"),
        ("owner-family_kana", "ooe", "カタカナ"),
        ("owner-birth_date", "令和99年13月1日", "生年月日"),
        ("owner-family_name", "", "姓"),
    ],
)
def test_bad_input_gets_a_japanese_message_next_to_the_field(
    town, client: Client, field, value, message
) -> None:
    t = town["town"]
    client.post(apply_url(t), {"agree": "yes"})
    first = client.get(page_url(t, 1))
    response = client.post(
        page_url(t, 1), {**PAGE1, field: value, "_token": hidden(first, "_token"), "_version": "1"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "入力内容を確認してください" in body  # the error summary
    assert message in body
    assert 'aria-invalid="true"' in body or "field-error" in body
    assert f'value="{value}"' in body or not value  # what was typed stays
    assert not Submission.objects.exists()


def test_disguised_upload_is_refused(town, client: Client) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    t = town["town"]
    client.post(apply_url(t), {"agree": "yes"})
    first = client.get(page_url(t, 1))
    common = {"_token": hidden(first, "_token"), "_version": "1"}
    client.post(page_url(t, 1), {**PAGE1, **common})
    client.post(page_url(t, 2), {**PAGE2, **common})
    fake = SimpleUploadedFile("cert.pdf", b"MZ\x90\x00 this is an executable", content_type="application/pdf")
    response = client.post(
        page_url(t, 3),
        {
            "vaccinated": "yes",
            "vaccinated_on": "R7.4.10",
            "clinic": "左沢動物病院",
            "confirm": "on",
            "certificate": fake,
            **common,
        },
    )
    assert response.status_code == 200
    assert "中身がPDFのファイルではありません" in response.content.decode()
    assert client.get(check_url(t)).status_code == 302  # page 3 is not done


def test_a_hidden_field_is_not_kept(town, client: Client) -> None:
    t = town["town"]
    token = fill_in(client, t, page3={"vaccinated": "no", "confirm": "on", "clinic": "", "vaccinated_on": ""})
    client.post(check_url(t), {"_token": token, "_version": "1"})
    submission = Submission.objects.get()
    assert "clinic" not in submission.data and "certificate" not in submission.data
    assert not SubmissionAttachment.objects.exists()


def test_double_submit_stores_one_submission(town, client: Client) -> None:
    t = town["town"]
    token = fill_in(client, t)
    first = client.post(check_url(t), {"_token": token, "_version": "1"})
    second = client.post(check_url(t), {"_token": token, "_version": "1"})
    assert Submission.objects.count() == 1
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert OutboundEmail.objects.count() == 1
    assert client.get(second["Location"]).status_code == 200


def test_tampered_posts_are_refused(town, client: Client) -> None:
    t = town["town"]
    client.post(apply_url(t), {"agree": "yes"})
    first = client.get(page_url(t, 1))
    common = {"_token": hidden(first, "_token"), "_version": "1"}
    extra = client.post(page_url(t, 1), {**PAGE1, "is_admin": "1", **common})
    assert extra.status_code == 400 and "is_admin" in extra.content.decode()
    other_page = client.post(page_url(t, 1), {**PAGE1, "dog_name": "ポチ", **common})
    assert other_page.status_code == 400
    version = client.post(page_url(t, 1), {**PAGE1, "_token": common["_token"], "_version": "2"})
    assert version.status_code == 400
    token = client.post(page_url(t, 1), {**PAGE1, "_token": "x" * 32, "_version": "1"})
    assert token.status_code == 400
    assert "大江" not in str(client.session.get(f"apply-{town['dog'].pk}", {}).get("raw"))


def test_tampered_final_post_is_refused(town, client: Client) -> None:
    t = town["town"]
    token = fill_in(client, t)
    response = client.post(check_url(t), {"_token": token, "_version": "1", "fee": "0"})
    assert response.status_code == 400
    response = client.post(check_url(t), {"_token": "forged", "_version": "1"})
    assert response.status_code == 400
    assert not Submission.objects.exists()


def test_group_rows_can_be_added_without_javascript(db, private_media, client: Client) -> None:
    from tests.factories import DepartmentFactory, MunicipalityFactory
    from tests.procedures.helpers import make_procedure
    from tests.procedures.submission_helpers import form_data
    from yakusho.procedures.catalogue.services import add_form_definition

    t = MunicipalityFactory(slug="gomi-town")
    procedure = make_procedure(
        t, DepartmentFactory(municipality=t), "sodai-gomi", "粗大ごみ", channels=(("yakusho", "available"),)
    )
    add_form_definition(procedure, form_data("oe--sodai-gomi.json"))
    client.post(apply_url(t, "sodai-gomi"), {"agree": "yes"})
    page = client.get(page_url(t, 2, "sodai-gomi"))
    assert 'name="items-0-item"' in page.content.decode()
    common = {"_token": hidden(page, "_token"), "_version": hidden(page, "_version")}
    more = client.post(page_url(t, 2, "sodai-gomi"), {"items-0-item": "bed", "_add_row": "items", **common})
    body = more.content.decode()
    assert 'name="items-2-item"' in body  # the typed row, the empty one, and one more
    assert 'value="bed" selected' in body


def test_status_page_with_a_wrong_secret_is_refused(town, client: Client) -> None:
    t = town["town"]
    token = fill_in(client, t)
    client.post(check_url(t), {"_token": token, "_version": "1"})
    submission = Submission.objects.get()
    url = reverse("submissions:status", args=[t.slug, submission.code])
    client.logout()  # another browser: it has not proved the key
    asked = client.get(url)
    assert asked.status_code == 200 and "照会キーを入力してください" in asked.content.decode()
    assert "受付" not in asked.content.decode().split("<h1>", 1)[1].split("</h1>")[0]
    assert client.get(url + "?k=AAAAAAAAAAAAAAAA").status_code == 404
    attachment = SubmissionAttachment.objects.get()
    file_url = reverse("submissions:status_file", args=[t.slug, submission.code, attachment.pk])
    assert client.get(file_url).status_code != 200
    assert client.get(file_url + "?k=AAAAAAAAAAAAAAAA").status_code != 200
    response = client.post(
        reverse("submissions:lookup", args=[t.slug]), {"code": submission.code, "secret": "nope"}
    )
    assert response.status_code == 404 and "正しくありません" in response.content.decode()


@pytest.mark.parametrize("path", sorted(p.name for p in FORMS.glob("*.json")))
def test_every_demo_form_renders_each_page(db, private_media, client: Client, path: str) -> None:
    from tests.factories import DepartmentFactory, MunicipalityFactory
    from tests.procedures.helpers import make_procedure
    from yakusho.procedures.catalogue.services import add_form_definition

    data = form_data(path)
    t = MunicipalityFactory(slug="form-town")
    procedure = make_procedure(
        t, DepartmentFactory(municipality=t), data["key"], data["title"], channels=(("yakusho", "available"),)
    )
    add_form_definition(procedure, data)
    assert client.post(apply_url(t, data["key"]), {"agree": "yes"}).status_code == 302
    for number in range(1, len(data["pages"]) + 1):
        response = client.get(page_url(t, number, data["key"]))
        body = response.content.decode()
        assert response.status_code == 200
        assert data["pages"][number - 1]["title"] in body
        assert "style=" not in body and "<script>" not in body
    # an empty first page gets messages, not an error page
    first = client.get(page_url(t, 1, data["key"]))
    response = client.post(
        page_url(t, 1, data["key"]), {"_token": hidden(first, "_token"), "_version": str(data["version"])}
    )
    assert response.status_code == 200
    assert "入力内容を確認してください" in response.content.decode()


def test_a_checked_file_is_kept_when_the_page_has_other_errors(town, client: Client) -> None:
    """Nothing the resident gave is discarded: the certificate attached on a page that still
    lacks the clinic's name is kept, and the page goes through once the name is given."""
    t = town["town"]
    client.post(apply_url(t), {"agree": "yes"})
    first = client.get(page_url(t, 1))
    common = {"_token": hidden(first, "_token"), "_version": "1"}
    client.post(page_url(t, 1), {**PAGE1, **common})
    client.post(page_url(t, 2), {**PAGE2, **common})
    page3 = {**PAGE3, "clinic": ""}
    failed = client.post(page_url(t, 3), {**page3, "certificate": png("chusha.png"), **common})
    assert failed.status_code == 200 and "動物病院の名前" in failed.content.decode()
    assert "chusha.png" in failed.content.decode()  # shown as attached
    done = client.post(page_url(t, 3), {**PAGE3, **common})
    assert done.status_code == 302 and done["Location"] == check_url(t)
    client.post(check_url(t), {"_token": common["_token"], "_version": "1"})
    assert SubmissionAttachment.objects.get().name == "chusha.png"
