"""The staff inbox: who sees and does what, transitions through the table, messages, reads
logged, another municipality's staff, exports; and mail through a real SMTP server."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import MembershipFactory, MunicipalityFactory
from tests.helpers import login_verified
from tests.procedures.submission_helpers import (
    check_url,
    fill_in,
    make_submission,
)
from tests.smtp import SmtpServer, free_port
from yakusho.core.models import OutboundEmail, Role
from yakusho.core.outbox import deliver_due
from yakusho.procedures.models import Submission, SubmissionMessage, SubmissionStatus
from yakusho.procedures.submissions.services import TRANSITIONS, SubmissionError, transition


def detail_url(t, s) -> str:
    return reverse("inbox:detail", args=[t.slug, s.pk])


def action_url(t, s, action) -> str:
    return reverse("inbox:action", args=[t.slug, s.pk, action])


def test_department_staff_see_their_own_departments_submissions(town, client: Client) -> None:
    t = town["town"]
    submission = make_submission(town["dog"]).submission
    login_verified(client, town["staff"]["department"].user)
    listing = client.get(reverse("inbox:list", args=[t.slug]))
    assert submission.display_code in listing.content.decode()
    client.logout()
    login_verified(client, town["staff"]["other_department"].user)
    listing = client.get(reverse("inbox:list", args=[t.slug]))
    assert submission.display_code not in listing.content.decode()
    assert client.get(detail_url(t, submission)).status_code == 404


@pytest.mark.parametrize(
    ("role", "may_act"),
    [
        ("admin", True),
        ("secretariat", True),
        ("department", True),
        ("counter", False),
        ("hq", False),
        ("other_department", False),
    ],
)
def test_transitions_per_role(town, client: Client, role: str, may_act: bool) -> None:
    t = town["town"]
    submission = make_submission(town["dog"]).submission
    login_verified(client, town["staff"][role].user)
    response = client.post(action_url(t, submission, "transition"), {"action": "start_review"})
    submission.refresh_from_db()
    if role == "other_department":
        assert response.status_code == 404
    else:
        assert response.status_code == 302
    assert (submission.status == SubmissionStatus.REVIEWING) is may_act


def test_the_table_refuses_with_a_japanese_message(town, client: Client) -> None:
    t = town["town"]
    submission = make_submission(town["dog"]).submission
    login_verified(client, town["staff"]["department"].user)
    response = client.post(action_url(t, submission, "transition"), {"action": "complete"}, follow=True)
    assert "「受付」の申請は「完了にする」ことができません" in response.content.decode()
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.RECEIVED
    response = client.post(
        action_url(t, submission, "transition"), {"action": "request_correction"}, follow=True
    )
    assert "申請者へのメッセージ" in response.content.decode()
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.RECEIVED


def test_every_transition_of_the_table_moves_between_its_states(town) -> None:
    membership = town["staff"]["secretariat"]
    for action, t in TRANSITIONS.items():
        for source in t.source:
            submission = make_submission(town["dog"]).submission
            Submission.objects.filter(pk=submission.pk).update(status=source)
            submission.refresh_from_db()
            actor = None if "resident" in t.actors and membership.role not in t.actors else membership
            transition(submission, action, membership=actor, message="理由")
            submission.refresh_from_db()
            assert submission.status == t.target, (action, source)
            assert (submission.completed_at is not None) is submission.is_closed
        closed = make_submission(town["dog"]).submission
        Submission.objects.filter(pk=closed.pk).update(status=SubmissionStatus.COMPLETED)
        closed.refresh_from_db()
        with pytest.raises(SubmissionError):
            transition(closed, action, membership=membership, message="理由")


def test_correction_message_reply_and_completion(town, client: Client) -> None:
    t = town["town"]
    created = make_submission(town["dog"])
    submission, secret = created.submission, created.secret
    assert secret is not None
    staff = Client()
    login_verified(staff, town["staff"]["department"].user)
    staff.post(action_url(t, submission, "transition"), {"action": "start_review"})
    staff.post(
        action_url(t, submission, "transition"),
        {"action": "request_correction", "message": "注射済証の写真を添付してください。"},
    )
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.CORRECTION
    assert OutboundEmail.objects.filter(subject__contains="お知らせ").count() == 1
    status_url = reverse("submissions:status", args=[t.slug, submission.code])
    page = client.get(status_url + f"?k={secret}", follow=True).content.decode()
    assert "注射済証の写真を添付してください。" in page and "補正依頼" in page
    from tests.procedures.submission_helpers import png

    response = client.post(
        reverse("submissions:status", args=[t.slug, submission.code]),
        {"body": "添付しました。", "file": png("shomei.png")},
    )
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.REVIEWING
    reply = SubmissionMessage.objects.get(direction="from_applicant")
    assert reply.attachments.get().name == "shomei.png"
    detail = staff.get(detail_url(t, submission)).content.decode()
    assert "添付しました。" in detail and "shomei.png" in detail
    download = staff.get(reverse("inbox:file", args=[t.slug, submission.pk, reply.attachments.get().pk]))
    assert download.status_code == 200
    staff.post(action_url(t, submission, "transition"), {"action": "complete"})
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.COMPLETED and submission.completed_at is not None
    closed = client.get(status_url).content.decode()
    assert "手続が完了しました" in closed and "返信を送る" not in closed


def test_reply_with_a_disguised_file_is_refused(town, client: Client) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    t = town["town"]
    created = make_submission(town["dog"])
    fake = SimpleUploadedFile("photo.png", b"%PDF-1.4 not a png", content_type="image/png")
    url = reverse("submissions:status", args=[t.slug, created.submission.code])
    client.get(url + f"?k={created.secret}")
    response = client.post(url, {"body": "どうぞ", "file": fake})
    assert response.status_code == 400
    assert "中身がPNGのファイルではありません" in response.content.decode()
    assert not SubmissionMessage.objects.exists()


def test_staff_send_a_file_with_a_message_and_the_applicant_downloads_it(town, client: Client) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    t = town["town"]
    created = make_submission(town["dog"])
    submission = created.submission
    staff = Client()
    login_verified(staff, town["staff"]["department"].user)
    pdf = SimpleUploadedFile("hosei.pdf", b"%PDF-1.4\n% a form to fill\n", content_type="application/pdf")
    response = staff.post(
        action_url(t, submission, "message"), {"body": "補正用の様式を添付します。", "file": pdf}
    )
    assert response.status_code == 302
    message = SubmissionMessage.objects.get(direction="to_applicant")
    attachment = message.attachments.get()
    assert (attachment.name, attachment.source, attachment.size) == ("hosei.pdf", "staff", 26)
    mail = OutboundEmail.objects.filter(subject__contains="お知らせ").get()
    assert "ファイルが添付されています" in mail.body
    status_url = reverse("submissions:status", args=[t.slug, submission.code])
    page = client.get(status_url + f"?k={created.secret}", follow=True).content.decode()
    assert "補正用の様式を添付します。" in page and "hosei.pdf" in page
    file_url = reverse("submissions:status_file", args=[t.slug, submission.code, attachment.pk])
    assert f'href="{file_url}"' in page  # the page's links carry no key
    download = client.get(file_url)
    assert download.status_code == 200 and download.getvalue().startswith(b"%PDF")
    assert Client().get(file_url + "?k=WRONGSECRET").status_code != 200
    assert Client().get(file_url).status_code != 200  # another browser


def test_staff_file_disguised_or_of_another_kind_is_refused_and_nothing_is_sent(town) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    t = town["town"]
    submission = make_submission(town["dog"]).submission
    staff = Client()
    login_verified(staff, town["staff"]["department"].user)
    fake = SimpleUploadedFile("form.pdf", b"MZ\x90\x00 an executable", content_type="application/pdf")
    exe = SimpleUploadedFile("tool.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    for upload, words in ((fake, "中身がPDFのファイルではありません"), (exe, "添付できません")):
        response = staff.post(
            action_url(t, submission, "message"), {"body": "どうぞ", "file": upload}, follow=True
        )
        assert words in response.content.decode()
    assert not SubmissionMessage.objects.exists()
    assert not OutboundEmail.objects.filter(subject__contains="お知らせ").exists()


def test_resident_can_withdraw(town, client: Client) -> None:
    t = town["town"]
    created = make_submission(town["dog"])
    url = reverse("submissions:status", args=[t.slug, created.submission.code])
    Client().post(url, {"_action": "withdraw", "confirm": "yes"})  # a browser without the key
    created.submission.refresh_from_db()
    assert created.submission.status == SubmissionStatus.RECEIVED
    client.get(url + f"?k={created.secret}")
    client.post(url, {"_action": "withdraw"})
    created.submission.refresh_from_db()
    assert created.submission.status == SubmissionStatus.RECEIVED  # not confirmed
    client.post(url, {"_action": "withdraw", "confirm": "yes"})
    created.submission.refresh_from_db()
    assert created.submission.status == SubmissionStatus.WITHDRAWN


def test_viewing_personal_data_is_logged_as_a_read(town, client: Client) -> None:
    t = town["town"]
    submission = make_submission(town["dog"]).submission
    user = town["staff"]["counter"].user
    login_verified(client, user)
    assert client.get(detail_url(t, submission)).status_code == 200
    reads = LogEntry.objects.get_for_object(submission).filter(action=LogEntry.Action.ACCESS)
    assert reads.count() == 1 and reads.get().actor == user
    client.get(reverse("inbox:export", args=[t.slug, "csv"]))
    assert reads.count() == 2


def test_an_export_logs_each_row_read_as_the_detail_page_does_in_one_insert(town, client: Client) -> None:
    """The export's read entries (written together, core.audit.log_reads) are the entries a read
    of the detail page writes: same object, text, tenant tag, actor and address."""
    t = town["town"]
    submissions = [make_submission(town["dog"]).submission for _ in range(3)]
    user = town["staff"]["counter"].user
    login_verified(client, user)
    client.get(detail_url(t, submissions[0]), REMOTE_ADDR="192.0.2.7")
    single = LogEntry.objects.get(action=LogEntry.Action.ACCESS)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("inbox:export", args=[t.slug, "csv"]), REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 200
    inserts = [q["sql"] for q in queries if q["sql"].startswith('INSERT INTO "auditlog_logentry"')]
    assert len(inserts) == 1
    reads = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).exclude(pk=single.pk).order_by("object_id")
    assert [r.object_id for r in reads] == [s.pk for s in submissions]
    fields = ("content_type_id", "object_repr", "additional_data", "actor_id", "actor_email", "remote_addr")
    first = reads[0]
    assert [getattr(first, f) for f in fields] == [getattr(single, f) for f in fields]
    assert first.actor == user and first.remote_addr == "192.0.2.7" and first.changes is None
    assert [r.object_repr for r in reads] == [str(s) for s in submissions]


def test_another_municipalitys_staff_get_404(town, client: Client) -> None:
    t = town["town"]
    submission = make_submission(town["dog"]).submission
    elsewhere = MunicipalityFactory(slug="elsewhere-town")
    admin_there = MembershipFactory(municipality=elsewhere, role=Role.ADMIN).user
    login_verified(client, admin_there)
    assert client.get(reverse("inbox:detail", args=[elsewhere.slug, submission.pk])).status_code == 404
    response = client.post(
        reverse("inbox:action", args=[elsewhere.slug, submission.pk, "transition"]),
        {"action": "start_review"},
    )
    assert response.status_code == 404
    assert client.get(reverse("inbox:detail", args=[t.slug, submission.pk])).status_code == 403
    listing = client.get(reverse("inbox:list", args=[elsewhere.slug]))
    assert submission.display_code not in listing.content.decode()


def test_filters_search_and_overdue(town, client: Client) -> None:
    from datetime import timedelta

    from django.utils import timezone

    t = town["town"]
    late = make_submission(town["dog"]).submission
    Submission.objects.filter(pk=late.pk).update(deadline=timezone.localdate() - timedelta(days=1))
    fine = make_submission(
        town["dog"], **{"owner-family_name": "左沢", "owner-family_kana": "アテラザワ"}
    ).submission
    login_verified(client, town["staff"]["secretariat"].user)
    url = reverse("inbox:list", args=[t.slug])
    overdue = client.get(url, {"overdue": "1"}).content.decode()
    assert late.display_code in overdue and fine.display_code not in overdue
    assert "期限超過" in overdue
    by_name = client.get(url, {"q": "左沢"}).content.decode()
    assert fine.display_code in by_name and late.display_code not in by_name
    by_code = client.get(url, {"q": late.code.lower()}).content.decode()
    assert late.display_code in by_code and fine.display_code not in by_code
    home = client.get(reverse("staff:home")).content.decode()
    assert "申請の受付" in home and late.display_code in home


def test_pagination_keeps_the_filters(town, client: Client, monkeypatch) -> None:
    """The page links carry the search and filters (URL-encoded), so page 2 is page 2 of the same list."""
    import html
    import re

    from yakusho.procedures.submissions.inbox_views import InboxListView

    monkeypatch.setattr(InboxListView, "paginate_by", 2)
    t = town["town"]
    matching = [
        make_submission(
            town["dog"], **{"owner-family_name": "左沢", "owner-family_kana": "アテラザワ"}
        ).submission
        for _ in range(3)
    ]
    others = [make_submission(town["dog"]).submission for _ in range(3)]
    login_verified(client, town["staff"]["secretariat"].user)
    url = reverse("inbox:list", args=[t.slug])
    first = client.get(url, {"q": "左沢 ", "status": "received"}).content.decode()
    assert "1 / 2 ページ" in first
    links = re.findall(r'<nav class="pagination".*?href="([^"]+)"', first)
    assert len(links) == 1
    second_url = html.unescape(links[0])
    assert "page=2" in second_url and "status=received" in second_url and "q=%E5%B7%A6%E6%B2%A2" in second_url
    second = client.get(url + second_url).content.decode()
    assert "2 / 2 ページ" in second
    shown = [s for s in matching + others if s.display_code in first + second]
    assert sorted(s.pk for s in shown) == sorted(s.pk for s in matching)
    assert re.findall(r'<nav class="pagination".*?href="([^"]+)"', second) == [
        links[0].replace("page=2", "page=1")
    ]
    export = re.search(r'href="([^"]*export\.csv[^"]*)"', second)
    assert export and "q=%E5%B7%A6%E6%B2%A2" in export[1]


def test_list_query_count_does_not_grow(town, client: Client, django_assert_max_num_queries) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    t = town["town"]
    login_verified(client, town["staff"]["admin"].user)
    url = reverse("inbox:list", args=[t.slug])
    make_submission(town["dog"])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(5):
        make_submission(town["dog"])
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_csv_export_has_a_bom_and_the_answers(town, client: Client) -> None:
    t = town["town"]
    make_submission(town["dog"])
    login_verified(client, town["staff"]["admin"].user)
    response = client.get(reverse("inbox:export", args=[t.slug, "csv"]))
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff受付番号")
    assert "犬の名前" in text and "ポチ" in text


@pytest.mark.excel
def test_excel_export(town, client: Client) -> None:
    import io

    from openpyxl import load_workbook

    t = town["town"]
    submission = make_submission(town["dog"]).submission
    login_verified(client, town["staff"]["admin"].user)
    response = client.get(reverse("inbox:export", args=[t.slug, "xlsx"]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A1"].value == "受付番号" and sheet["A2"].value == submission.display_code


def test_receipt_mail_goes_through_smtp_and_waits_when_the_server_is_down(town, client: Client) -> None:
    from datetime import timedelta
    from email.header import decode_header, make_header

    from django.utils import timezone

    t = town["town"]
    port = free_port()  # nothing listens here yet: the mail server is down
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_TIMEOUT=2,
    ):
        token = fill_in(client, t)
        response = client.post(check_url(t), {"_token": token, "_version": "1"})
        assert response.status_code == 302
        submission = Submission.objects.get()
        report = deliver_due()
        assert report.sent == 0 and report.failed == 1
        mail = OutboundEmail.objects.get()
        assert mail.status == OutboundEmail.Status.QUEUED and mail.attempts == 1
        server = SmtpServer(port).start()
        try:
            report = deliver_due(now=timezone.now() + timedelta(hours=1))
            assert report.sent == 1
            assert len(server.messages) == 1
            message = server.messages[0]
            assert "hanako@example.jp" in message["To"]
            subject = str(make_header(decode_header(message["Subject"])))
            assert submission.display_code in subject and "犬の登録申請" in subject
            payload = message.get_payload(decode=True)
            assert isinstance(payload, bytes)
            body = payload.decode("utf-8")
            assert f"/m/{t.slug}/submissions/{submission.code}/?k=" in body
        finally:
            server.stop()


def test_staff_message_is_mailed(town, smtp: SmtpServer) -> None:
    from email.header import decode_header, make_header

    from yakusho.procedures.submissions.services import send_message

    submission = make_submission(town["dog"]).submission
    deliver_due()
    send_message(submission, "鑑札は窓口でお渡しします。", author=town["staff"]["department"].user)
    deliver_due()
    assert len(smtp.messages) == 2
    last = smtp.messages[-1]
    assert "お知らせ" in str(make_header(decode_header(last["Subject"])))
    payload = last.get_payload(decode=True)
    assert isinstance(payload, bytes)
    assert "鑑札は窓口でお渡しします。" in payload.decode("utf-8")


@pytest.mark.pdf
def test_pdf_of_a_submission(town, client: Client, tmp_path) -> None:
    import subprocess

    t = town["town"]
    submission = make_submission(town["dog"]).submission
    login_verified(client, town["staff"]["department"].user)
    response = client.get(reverse("inbox:pdf", args=[t.slug, submission.pk]))
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    path = tmp_path / "submission.pdf"
    path.write_bytes(response.content)
    command = ["pdftotext", "-layout", str(path), "-"]
    text = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    assert "犬の登録申請" in text and submission.display_code in text and "ポチ" in text
    reads = LogEntry.objects.get_for_object(submission).filter(action=LogEntry.Action.ACCESS)
    assert reads.count() == 1
