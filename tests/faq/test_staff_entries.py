"""Staff pages of the knowledge base: entries, local answers, synonyms; who may do what."""

from __future__ import annotations

import io
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.factories import DepartmentFactory, MembershipFactory, MunicipalityFactory
from tests.helpers import login_verified
from yakusho.core.models import Consortium, Department, Municipality, Role, SynonymGroup, User
from yakusho.faq import search as faq_search
from yakusho.faq import tabular
from yakusho.faq.models import Entry, Override, SharedEntry
from yakusho.procedures.models import Procedure

pytestmark = pytest.mark.django_db

#: a group of data/search/synonyms.yaml, as staff would type it
SHIPPED = "マイナンバーカード、マイナ、マイナカード、個人番号カード、マイナンバー"


def member(town: Municipality, role: str, department: str | None = None) -> User:
    membership = MembershipFactory(municipality=town, role=role)
    if department:
        membership.departments.set([Department.objects.get(municipality=town, name=department)])
    return membership.user


def signed_in(client: Client, town: Municipality, role: str, department: str | None = None) -> Client:
    login_verified(client, member(town, role, department))
    return client


def url(name: str, town: Municipality, *args: Any) -> str:
    return reverse(f"faq_staff:{name}", args=[town.slug, *args])


def entry(town: Municipality, key: str) -> Entry:
    return Entry.objects.get(municipality=town, key=key)


def form_data(e: Entry | None = None, **changes: Any) -> dict[str, Any]:
    """What the edit form posts for ``e`` unchanged (or an empty new entry), with ``changes``."""
    data: dict[str, Any] = {
        "key": "",
        "question": "",
        "phrasings": "",
        "answer": "",
        "category": "",
        "subcategory": "",
        "department": "",
        "visibility": "public",
        "valid_from": "",
        "valid_to": "",
        "reviewed_on": "",
    }
    if e is not None:
        data.update(
            key=e.key,
            question=e.question,
            phrasings=e.phrasings,
            answer=e.answer,
            category=e.category,
            subcategory=e.subcategory,
            department=e.department_id or "",
            visibility=e.visibility,
            procedures=[p.pk for p in e.procedures.all()],
            resources=[r.pk for r in e.resources.all()],
            expected_version=e.version,
        )
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# --- reading ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SECRETARIAT, Role.DEPARTMENT, Role.COUNTER, Role.HQ])
def test_every_role_reads_the_list_and_the_export(town_faq: Municipality, client: Client, role: str) -> None:
    signed_in(client, town_faq, role, "町民課" if role == Role.DEPARTMENT else None)
    page = client.get(url("entries", town_faq))
    assert page.status_code == 200
    assert "住民票の写しはどこで取れますか？" in page.content.decode()
    assert client.get(url("entries_export", town_faq, "csv")).status_code == 200


def test_strangers_are_refused_and_visitors_sent_to_sign_in(town_faq: Municipality, client: Client) -> None:
    response = client.get(url("entries", town_faq))
    assert response.status_code == 302 and response["Location"].startswith(reverse("staff:login"))
    other = MunicipalityFactory(slug="faqstranger")
    login_verified(client, MembershipFactory(municipality=other, role=Role.ADMIN).user)
    assert client.get(url("entries", town_faq)).status_code == 403
    assert client.get(url("entry_edit", town_faq, entry(town_faq, "juminhyo").pk)).status_code == 403
    # the stranger's own municipality does not open the town's entry either
    assert client.get(url("entry_edit", other, entry(town_faq, "juminhyo").pk)).status_code == 404
    assert client.get(url("synonyms", town_faq)).status_code == 403


def test_the_list_filters_and_shows_version_validity_review_and_links(
    town_faq: Municipality, client: Client
) -> None:
    signed_in(client, town_faq, Role.COUNTER)
    everything = client.get(url("entries", town_faq)).content.decode()
    assert "デモデータ" in everything and "第1版" in everything
    assert f'href="/m/{town_faq.slug}/faq/e/juminhyo/"' in everything
    assert f'href="/m/{town_faq.slug}/faq/e/staff-note/"' not in everything  # staff only
    assert "掲載終了" in everything  # old-campaign ended in 2020
    assert "確認日の記録がありません" in everything
    assert "entries/" in everything and "/edit/" not in everything  # the counter does not edit

    gomi = client.get(url("entries", town_faq), {"category": "ごみ"}).content.decode()
    assert "粗大ごみはどうやって出しますか？" in gomi and "住民票の写しはどこで" not in gomi
    kankyo = Department.objects.get(municipality=town_faq, name="環境課")
    by_ka = client.get(url("entries", town_faq), {"department": kankyo.pk}).content.decode()
    assert "缶とびん" in by_ka and "印鑑登録証明書" not in by_ka
    none = client.get(url("entries", town_faq), {"department": "none"}).content.decode()
    assert "収集業者への連絡方法" in none and "缶とびん" not in none
    words = client.get(url("entries", town_faq), {"q": "印鑑証明"}).content.decode()
    assert "印鑑登録証明書がほしい" in words and "戸籍謄本" not in words


def test_a_recent_review_is_not_marked(town_faq: Municipality, client: Client) -> None:
    from django.utils import timezone

    Entry.objects.for_municipality(town_faq).update(reviewed_on=timezone.localdate())
    signed_in(client, town_faq, Role.COUNTER)
    page = client.get(url("entries", town_faq)).content.decode()
    assert "確認日の記録がありません" not in page and "1年以上確認していません" not in page
    Entry.objects.filter(municipality=town_faq, key="koseki").update(reviewed_on="2020-01-01")
    page = client.get(url("entries", town_faq)).content.decode()
    assert page.count("1年以上確認していません") == 1


@pytest.mark.parametrize(
    "params",
    [{"department": "abc"}, {"department": "999999"}, {"page": "99"}, {"page": "x"}],
)
def test_bad_filters_are_404_with_a_message(town_faq: Municipality, client: Client, params: dict) -> None:
    signed_in(client, town_faq, Role.COUNTER)
    response = client.get(url("entries", town_faq), params)
    assert response.status_code == 404
    assert "見つかりません" in response.content.decode() or "ページはありません" in response.content.decode()


def test_another_municipalitys_department_is_not_a_filter(town_faq: Municipality, client: Client) -> None:
    elsewhere = DepartmentFactory(municipality=MunicipalityFactory(slug="faqelse"))
    signed_in(client, town_faq, Role.ADMIN)
    assert client.get(url("entries", town_faq), {"department": elsewhere.pk}).status_code == 404


# --- writing entries ----------------------------------------------------------------------------------


def test_an_administrator_adds_an_entry_with_a_derived_key(town_faq: Municipality, client: Client) -> None:
    signed_in(client, town_faq, Role.ADMIN)
    assert client.get(url("entry_create", town_faq)).status_code == 200
    procedure = Procedure.objects.get(municipality=town_faq, key="juminhyo-koufu")
    response = client.post(
        url("entry_create", town_faq),
        form_data(
            question="住民票を郵送で請求できますか？",
            phrasings="住民票 郵送\r\n\r\n 住民票 郵便で ",
            answer="できます。\r\n請求書と定額小為替を送ってください。",
            category="住民票・印鑑・戸籍",
            subcategory="住民票",
            department=Department.objects.get(municipality=town_faq, name="町民課").pk,
            procedures=[procedure.pk],
            valid_from="2026-04-01",
            reviewed_on="令和8年4月1日",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = entry(town_faq, "faq-1")
    assert created.version == 1 and not created.is_demo
    assert created.phrasing_list() == ["住民票 郵送", "住民票 郵便で"]
    assert created.phrasings == "住民票 郵送\n住民票 郵便で"
    assert created.answer == "できます。\n請求書と定額小為替を送ってください。"
    assert [p.key for p in created.procedures.all()] == ["juminhyo-koufu"]
    assert str(created.reviewed_on) == "2026-04-01"
    assert LogEntry.objects.get_for_object(created).exists()
    page = client.get(response["Location"]).content.decode()
    assert "住民票を郵送で請求できますか？" in page and "を保存しました（第1版）" in page


def test_the_version_rises_only_when_the_text_changes(town_faq: Municipality, client: Client) -> None:
    signed_in(client, town_faq, Role.ADMIN)
    e = entry(town_faq, "juminhyo")
    edit = url("entry_edit", town_faq, e.pk)
    page = client.get(edit).content.decode()
    assert "第1版" in page and "監査ログ" in page
    # the same text as the browser sends it (CRLF line ends), other fields changed: no new version
    same = form_data(e, answer=e.answer.replace("\n", "\r\n"), visibility="staff", reviewed_on="2026-05-01")
    assert client.post(edit, same).status_code == 302
    e.refresh_from_db()
    assert e.version == 1 and e.visibility == "staff" and str(e.reviewed_on) == "2026-05-01"
    changed = form_data(e, answer="手数料は1通350円です。", reviewed_on="2026-05-01")
    assert client.post(edit, changed).status_code == 302
    e.refresh_from_db()
    assert e.version == 2 and e.answer == "手数料は1通350円です。"
    phrasings = form_data(e, phrasings=e.phrasings + "\nじゅうみんひょう", reviewed_on="2026-05-01")
    assert client.post(edit, phrasings).status_code == 302
    e.refresh_from_db()
    assert e.version == 3
    answers = [le.changes_display_dict.get("回答") for le in LogEntry.objects.get_for_object(e)]
    assert any(a and "300円" in a[0] and "350円" in a[1] for a in answers)  # the earlier text is kept


def test_an_edited_answer_is_found_by_the_search_after_the_commit(
    town_faq: Municipality, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    signed_in(client, town_faq, Role.ADMIN)
    before = faq_search.search(town_faq, "ふるさと納税 返礼品")
    assert all("返礼品" not in a.item.answer for a in before.answers)
    e = entry(town_faq, "inkan")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("entry_edit", town_faq, e.pk),
            form_data(e, answer="ふるさと納税の返礼品は町の特産品です。"),
        )
    assert response.status_code == 302
    after = faq_search.search(town_faq, "ふるさと納税 返礼品")
    assert after.answers and after.answers[0].item.key == "inkan"
    assert "返礼品" in after.answers[0].item.answer


def test_every_error_is_shown_at_once_and_nothing_typed_is_lost(
    town_faq: Municipality, client: Client
) -> None:
    signed_in(client, town_faq, Role.ADMIN)
    response = client.post(
        url("entry_create", town_faq),
        form_data(
            key="Not A Key!",
            question="",
            phrasings="\n".join(f"聞き方{i}" for i in range(21)),
            answer="   ",
            category="ごみ",
            subcategory="住民票",
            valid_from="2026-04-01",
            valid_to="2026-03-31",
            reviewed_on="きのう",
        ),
    )
    text = response.content.decode()
    assert response.status_code == 400
    assert "キーは半角の英小文字" in text
    assert text.count("このフィールドは必須です") >= 4  # question, answer (spaces only): summary, field
    assert "ほかの聞き方は20行までにしてください" in text
    assert "分類「ごみ」にない小分類です" in text
    assert "掲載終了日が掲載開始日より前です" in text
    assert "聞き方20" in text and "Not A Key!" in text  # what was typed is kept
    assert text.count('class="field field-error"') >= 6
    assert not Entry.objects.filter(municipality=town_faq, question="").exists()
    assert Entry.objects.for_municipality(town_faq).count() == 7


def test_a_key_in_use_and_an_unknown_category_are_refused(town_faq: Municipality, client: Client) -> None:
    signed_in(client, town_faq, Role.ADMIN)
    response = client.post(
        url("entry_create", town_faq),
        form_data(key="koseki", question="Q", answer="A", category="税金"),
    )
    text = response.content.decode()
    assert response.status_code == 400
    assert "キー「koseki」はすでにほかの質問が使っています" in text
    assert "選択肢の中から選んでください" in text


def test_an_entry_saved_meanwhile_is_not_overwritten(town_faq: Municipality, client: Client) -> None:
    signed_in(client, town_faq, Role.ADMIN)
    e = entry(town_faq, "koseki")
    opened = form_data(e, answer="私の書いた回答です。")
    Entry.objects.filter(pk=e.pk).update(answer="ほかの職員の回答です。", version=2)
    response = client.post(url("entry_edit", town_faq, e.pk), opened)
    text = response.content.decode()
    assert response.status_code == 409
    assert "ほかの職員が保存しました（現在 第2版）" in text and "私の書いた回答です。" in text
    e.refresh_from_db()
    assert e.answer == "ほかの職員の回答です。"
    again = {**opened, "expected_version": 2}
    assert client.post(url("entry_edit", town_faq, e.pk), again).status_code == 302
    e.refresh_from_db()
    assert e.answer == "私の書いた回答です。" and e.version == 3


def test_department_staff_write_only_for_their_own_ka(town_faq: Municipality, client: Client) -> None:
    signed_in(client, town_faq, Role.DEPARTMENT, "町民課")
    chomin = Department.objects.get(municipality=town_faq, name="町民課")
    kankyo = Department.objects.get(municipality=town_faq, name="環境課")
    sodai, koseki = entry(town_faq, "sodai"), entry(town_faq, "koseki")
    page = client.get(url("entries", town_faq)).content.decode()
    assert url("entry_edit", town_faq, koseki.pk) in page
    assert url("entry_edit", town_faq, sodai.pk) not in page
    assert client.get(url("entry_edit", town_faq, sodai.pk)).status_code == 403
    assert client.post(url("entry_edit", town_faq, sodai.pk), form_data(sodai, answer="x")).status_code == 403
    # an entry of no 課 belongs to every 課: administrators only
    assert client.get(url("entry_edit", town_faq, entry(town_faq, "staff-note").pk)).status_code == 403
    # moving an own entry to another 課, or creating one for it, is refused
    moved = client.post(url("entry_edit", town_faq, koseki.pk), form_data(koseki, department=kankyo.pk))
    assert moved.status_code == 400
    koseki.refresh_from_db()
    assert koseki.department == chomin
    new = form_data(question="新しい質問", answer="回答", category="ごみ", department=kankyo.pk)
    assert client.post(url("entry_create", town_faq), new).status_code == 400
    assert client.post(url("entry_create", town_faq), {**new, "department": ""}).status_code == 400
    assert client.post(url("entry_create", town_faq), {**new, "department": chomin.pk}).status_code == 302
    assert entry(town_faq, "faq-1").department == chomin
    # the import and the synonyms touch every 課
    assert client.get(url("entries_import", town_faq)).status_code == 403
    assert client.post(url("synonyms", town_faq), {"words": "a、b"}).status_code == 403


@pytest.mark.parametrize("role", [Role.SECRETARIAT, Role.COUNTER, Role.HQ])
def test_readers_do_not_write(town_faq: Municipality, client: Client, role: str) -> None:
    signed_in(client, town_faq, role)
    e = entry(town_faq, "koseki")
    assert client.get(url("entry_create", town_faq)).status_code == 403
    assert client.post(url("entry_edit", town_faq, e.pk), form_data(e, answer="x")).status_code == 403
    assert client.get(url("entries_import", town_faq)).status_code == 403
    e.refresh_from_db()
    assert e.answer != "x"


# --- export and import pages --------------------------------------------------------------------------


def test_the_export_formats_and_a_bad_one(town_faq: Municipality, client: Client) -> None:
    signed_in(client, town_faq, Role.HQ)
    csv = client.get(url("entries_export", town_faq, "csv"))
    assert csv["Content-Type"].startswith("text/csv")
    assert "住民票の写しはどこで取れますか？" in csv.content.decode("utf-8-sig")
    bad = client.get(url("entries_export", town_faq, "pdf"))
    assert bad.status_code == 404 and "CSV（.csv）と Excel（.xlsx）" in bad.content.decode()


@pytest.mark.excel
def test_the_excel_export_opens(town_faq: Municipality, client: Client) -> None:
    from openpyxl import load_workbook

    signed_in(client, town_faq, Role.DEPARTMENT, "環境課")
    response = client.get(url("entries_export", town_faq, "xlsx"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    assert [c.value for c in sheet[1]] == list(tabular.COLUMNS)
    assert sheet.max_row == 8


def test_an_import_updates_and_says_what_it_did(town_faq: Municipality, client: Client) -> None:
    signed_in(client, town_faq, Role.ADMIN)
    page = client.get(url("entries_import", town_faq)).content.decode()
    assert "ファイルにない質問はそのまま残ります" in page
    exported = client.get(url("entries_export", town_faq, "csv")).content.decode("utf-8-sig")
    changed = exported.replace("本籍地の役場で取れます。", "本籍地か、お近くの役場で取れます。")
    upload = SimpleUploadedFile("faq.csv", changed.encode("utf-8"), content_type="text/csv")
    response = client.post(url("entries_import", town_faq), {"file": upload}, follow=True)
    text = response.content.decode()
    assert "追加 0件、更新 1件、変更なし 6件" in text and "ファイルにない質問はそのままです" in text
    assert entry(town_faq, "koseki").version == 2


def test_a_bad_import_lists_the_errors_and_saves_nothing(town_faq: Municipality, client: Client) -> None:
    signed_in(client, town_faq, Role.ADMIN)
    header = ",".join(tabular.COLUMNS)
    body = "koseki,住民票・印鑑・戸籍,戸籍,戸籍は？,,新しい回答,住民課,,,公開,,,\n"
    upload = SimpleUploadedFile("faq.csv", f"{header}\n{body}".encode())
    response = client.post(url("entries_import", town_faq), {"file": upload})
    text = response.content.decode()
    assert response.status_code == 400
    assert "何も保存していません" in text and "2行目" in text and "この団体にない課です（住民課）" in text
    assert entry(town_faq, "koseki").answer.startswith("本籍地の役場")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("faq.txt", b"x", "拡張子が .csv か .xlsx"),
        ("faq.xls", b"x", "古い形式（.xls）"),
        ("faq.csv", b"", "ファイルが空です"),
        ("faq.csv", b"a" * 2_000_001, "ファイルが大きすぎます（2MBまで）"),
        ("faq.xlsx", b"PK\x03\x04 not really", "Excelファイル（.xlsx）として読み取れませんでした"),
    ],
)
def test_unusable_uploads_are_refused_with_a_message(
    town_faq: Municipality, client: Client, name: str, content: bytes, message: str
) -> None:
    signed_in(client, town_faq, Role.ADMIN)
    response = client.post(url("entries_import", town_faq), {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 400 and message in response.content.decode()


# --- local answers to shared entries ------------------------------------------------------------------


def test_a_local_answer_is_made_changed_and_removed(consortium: Consortium, client: Client) -> None:
    town = consortium.members.get()
    shared = SharedEntry.objects.get(key="mynumber-koushin")
    signed_in(client, town, Role.ADMIN)
    listing = client.get(url("entries", town)).content.decode()
    assert "共有の回答のまま" in listing and url("override_edit", town, shared.pk) in listing
    edit = url("override_edit", town, shared.pk)
    form = client.get(edit)
    assert form.status_code == 200 and "有効期限の3か月前から" in form.content.decode()
    assert client.post(edit, {"answer": ""}).status_code == 400
    response = client.post(edit, {"answer": "町民課（役場1階）で更新できます。", "department": ""})
    assert response.status_code == 302
    local = Override.objects.get(municipality=town, entry=shared)
    assert local.answer == "町民課（役場1階）で更新できます。"
    assert "この団体の回答あり" in client.get(url("entries", town)).content.decode()
    public = Client().get(f"/m/{town.slug}/faq/s/mynumber-koushin/").content.decode()
    assert "町民課（役場1階）で更新できます。" in public
    assert client.post(edit, {"delete": "1"}).status_code == 302
    assert not Override.objects.filter(municipality=town).exists()


def test_a_shared_entry_of_another_consortium_is_404(consortium: Consortium, client: Client) -> None:
    outsider = MunicipalityFactory(slug="faqoutsider")
    signed_in(client, outsider, Role.ADMIN)
    shared = SharedEntry.objects.get(key="mynumber-koushin")
    response = client.get(url("override_edit", outsider, shared.pk))
    assert response.status_code == 404 and "共有の質問ではありません" in response.content.decode()


def test_department_staff_keep_to_their_own_local_answers(consortium: Consortium, client: Client) -> None:
    town = consortium.members.get()
    shared = SharedEntry.objects.get(key="mynumber-koushin")
    kankyo = Department.objects.get(municipality=town, name="環境課")
    Override.objects.create(municipality=town, entry=shared, answer="環境課の回答", department=kankyo)
    signed_in(client, town, Role.DEPARTMENT, "町民課")
    assert client.get(url("override_edit", town, shared.pk)).status_code == 403
    assert client.post(url("override_edit", town, shared.pk), {"delete": "1"}).status_code == 403
    assert Override.objects.filter(municipality=town).exists()


# --- synonyms -----------------------------------------------------------------------------------------


def test_synonym_groups_are_added_checked_edited_and_deleted(town: Municipality, client: Client) -> None:
    signed_in(client, town, Role.ADMIN)
    page = client.get(url("synonyms", town)).content.decode()
    assert "同義語の組を追加する" in page and "マイナンバーカード" in page  # the shipped groups too
    assert (
        client.post(url("synonyms", town), {"words": "ふれあい館，ふれあいセンター、中央公民館"}).status_code
        == 302
    )
    group = SynonymGroup.objects.get(municipality=town)
    assert group.word_list() == ["ふれあい館", "ふれあいセンター", "中央公民館"]
    refused = {  # words → the message
        "中央公民館、ふれあい館、ふれあいセンター": "同じ言葉の組がすでにあります",
        "マイナ、まいな": "2語以上入力してください",
        "ひとつ": "2語以上入力してください",
        "マイナ、" + "あ" * 41: "長すぎます（1語40文字まで）",
        SHIPPED: "標準の同義語にすでにあります",
    }
    for words, message in refused.items():
        response = client.post(url("synonyms", town), {"words": words})
        assert response.status_code == 400 and message in response.content.decode(), words
        assert words.split("、")[0] in response.content.decode()  # what was typed stays
    assert SynonymGroup.objects.filter(municipality=town).count() == 1
    # edit in place
    assert client.get(url("synonyms", town), {"edit": group.pk}).status_code == 200
    response = client.post(
        url("synonyms", town), {"pk": group.pk, "words": "ふれあい館、公民館", "note": "愛称"}
    )
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.word_list() == ["ふれあい館", "公民館"] and group.note == "愛称"
    assert client.get(url("synonyms", town), {"edit": "x"}).status_code == 404
    delete = url("synonym_delete", town, group.pk)
    assert client.get(delete).status_code == 405
    assert client.post(delete).status_code == 302
    assert not SynonymGroup.objects.filter(municipality=town).exists()


def test_synonyms_are_read_by_all_and_written_by_administrators(town: Municipality, client: Client) -> None:
    group = SynonymGroup.objects.create(municipality=town, words="ふれあい館、中央公民館")
    other = MunicipalityFactory(slug="faqsynother")
    theirs = SynonymGroup.objects.create(municipality=other, words="あ館、い館")
    signed_in(client, town, Role.COUNTER)
    page = client.get(url("synonyms", town)).content.decode()
    assert "ふれあい館、中央公民館" in page and "同義語の追加・編集は団体管理者が行います" in page
    assert client.post(url("synonym_delete", town, group.pk)).status_code == 403
    assert client.get(url("synonyms", town), {"edit": group.pk}).status_code == 403
    client.logout()
    signed_in(client, town, Role.ADMIN)
    assert client.post(url("synonym_delete", town, theirs.pk)).status_code == 404
    assert client.post(url("synonyms", town), {"pk": theirs.pk, "words": "う館、え館"}).status_code == 404
    assert SynonymGroup.objects.filter(pk=theirs.pk, words="あ館、い館").exists()


def test_a_new_synonym_reaches_the_search(
    town_faq: Municipality, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    signed_in(client, town_faq, Role.ADMIN)
    assert faq_search.search(town_faq, "がらくた回収").answered is False
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("synonyms", town_faq), {"words": "がらくた回収、粗大ごみ"})
    result = faq_search.search(town_faq, "がらくた回収")
    assert result.answers and result.answers[0].item.key == "sodai"
