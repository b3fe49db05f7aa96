"""A new municipality from the national list: add-municipality, add-consortium, setup, empty pages."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from tests.helpers import login_verified
from yakusho.core.models import (
    Closure,
    Consortium,
    Department,
    LocalGovernment,
    Membership,
    Municipality,
    Role,
    User,
)

PLAN = {
    "format": "yakusho-plan/1",
    "municipality": "063223",
    "key": "nishikawa-dx",
    "title": "西川町DX推進計画",
    "kind": "計画",
    "first_year": 2026,
    "last_year": 2028,
    "edition": {"number": "1.0"},
    "level_labels": ["基本目標", "施策"],
    "nodes": [
        {"key": "g1", "code": "1", "title": "行かない窓口"},
        {
            "key": "g1-1",
            "parent": "g1",
            "code": "1-1",
            "title": "手続のオンライン化",
            "departments": [{"name": "総務課"}],
        },
    ],
}


def run(*args: str, stdin: str | None = None, **options: Any) -> str:
    out = io.StringIO()
    if stdin is not None:
        options["stdin"] = io.StringIO(stdin)
    call_command(*args, stdout=out, stderr=out, **options)
    return out.getvalue()


def write_setup(tmp_path: Path, **changes: Any) -> Path:
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(PLAN, allow_unicode=True, sort_keys=False), "utf-8")
    data: dict[str, Any] = {
        "municipality": "063223",
        "slug": "nishikawa",
        "email": "info@town.nishikawa.example.jp",
        "admin": {"email": "admin@town.nishikawa.example.jp", "name": "西川 太郎"},
        "office_hours": {"opens": "8:30", "closes": "17:00"},
        "closures": [{"date": "2027-01-04", "reason": "庁舎設備点検"}],
        "departments": ["総務課", "住民税務課"],
        "plan": "plan.yaml",
    }
    data.update(changes)
    path = tmp_path / "setup.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return path


# --- add-municipality, add-consortium ------------------------------------------------------------


def test_add_municipality_takes_everything_from_the_list(db) -> None:
    text = run("add_municipality", "063223", "--slug", "nishikawa")
    town = Municipality.objects.get(code="063223")
    assert (town.name, town.kana, town.prefecture, town.kind) == ("西川町", "にしかわまち", "山形県", "town")
    assert town.email_from == "noreply@yakusho.invalid"  # DEFAULT_FROM_EMAIL, documented
    assert town.slug == "nishikawa" and "山形県西川町（にしかわまち、063223）を登録しました" in text
    assert LocalGovernment.objects.count() == 1788  # loaded on first use

    ward = run("add_municipality", "131016", "--email", "info@city.chiyoda.example.jp")
    chiyoda = Municipality.objects.get(code="131016")
    assert chiyoda.kind == "ward" and chiyoda.slug == "131016" and "千代田区" in ward


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (
            "06322",
            "「06322」は5桁です。全国地方公共団体コードは末尾に検査数字を付けた6桁で"
            "入力してください（06322 なら 063223）。",
        ),
        (
            "063224",
            "「063224」は検査数字（末尾の1桁）が正しくありません。06322 の検査数字は 3 です（063223）。",
        ),
        ("063258", "全国地方公共団体コード 063258 は一覧にありません"),
        ("西川町", "6桁の数字で入力してください"),
        ("060003", "山形県は都道府県です"),
    ],
)
def test_add_municipality_refuses_with_a_clear_message(db, code: str, message: str) -> None:
    with pytest.raises(CommandError) as excinfo:
        run("add_municipality", code)
    assert message in str(excinfo.value)
    assert Municipality.objects.count() == 0


def test_add_municipality_refuses_a_duplicate_a_taken_slug_and_a_bad_email(db) -> None:
    run("add_municipality", "063223", "--slug", "nishikawa")
    with pytest.raises(CommandError, match="すでに団体「nishikawa」として登録されています"):
        run("add_municipality", "063223")
    with pytest.raises(CommandError, match="URL名「nishikawa」はほかの団体が使っています"):
        run("add_municipality", "063240", "--slug", "nishikawa")
    with pytest.raises(CommandError, match="メール送信元アドレス（--email）"):
        run("add_municipality", "063240", "--email", "not-an-address")
    assert list(Municipality.objects.values_list("code", flat=True)) == ["063223"]


def test_add_consortium_of_registered_members(db) -> None:
    run("add_municipality", "063223", "--slug", "nishikawa")
    run("add_municipality", "063240", "--slug", "oe2")
    with pytest.raises(CommandError, match="コード 063215 の団体はまだ登録されていません"):
        run("add_consortium", "西村山広域", "063223", "063215")
    with pytest.raises(CommandError, match="検査数字"):
        run("add_consortium", "西村山広域", "063224")
    assert Consortium.objects.count() == 0
    text = run(
        "add_consortium", "西村山広域", "063223", "063240", "--slug", "nishimurayama", "--kind", "densan"
    )
    consortium = Consortium.objects.get(slug="nishimurayama")
    assert sorted(consortium.members.values_list("name", flat=True)) == ["大江町", "西川町"]
    assert consortium.kind == "densan" and "構成団体：西川町、大江町" in text
    with pytest.raises(CommandError, match="すでにあります"):
        run("add_consortium", "西村山広域", "063223")


# --- setup --------------------------------------------------------------------------------------


def test_setup_from_a_file_after_add_municipality(db, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("YAKUSHO_ADMIN_PASSWORD", "nishikawa-first-2026")
    run("add_municipality", "063223", "--slug", "nishikawa")
    text = run("setup", "--from", str(write_setup(tmp_path)))
    town = Municipality.objects.get(slug="nishikawa")
    assert town.email_from == "info@town.nishikawa.example.jp"
    assert (town.office_opens.strftime("%H:%M"), town.office_closes.strftime("%H:%M")) == ("08:30", "17:00")
    assert list(Closure.objects.filter(municipality=town).values_list("reason", flat=True)) == [
        "庁舎設備点検"
    ]
    assert list(Department.objects.filter(municipality=town).values_list("name", flat=True)) == [
        "総務課",
        "住民税務課",
    ]
    admin = User.objects.get(email="admin@town.nishikawa.example.jp")
    assert admin.check_password("nishikawa-first-2026") and admin.display_name == "西川 太郎"
    assert Membership.objects.get(user=admin, municipality=town).role == Role.ADMIN
    assert "計画：西川町DX推進計画【第1.0版】 を取り込みました" in text
    assert "配備チェック（yakusho check --deploy）" in text and "次にすること：" in text
    assert "環境変数 YAKUSHO_ADMIN_PASSWORD で渡したもの" in text and "nishikawa-first-2026" not in text

    # Running it again creates nothing twice and says why.
    with pytest.raises(
        CommandError,
        match=re.escape("西川町はすでに初期設定されています（管理者：admin@town.nishikawa.example.jp）"),
    ):
        run("setup", "--from", str(write_setup(tmp_path)))
    assert Membership.objects.filter(municipality=town).count() == 1


def test_setup_without_add_municipality_prints_a_one_time_password(db, tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("YAKUSHO_ADMIN_PASSWORD", raising=False)
    text = run("setup", "--from", str(write_setup(tmp_path, plan=None)))
    password = re.search(r"初回のパスワード：(\S+?)（", text)
    assert password is not None
    assert User.objects.get(email="admin@town.nishikawa.example.jp").check_password(password.group(1))
    assert Municipality.objects.get(code="063223").slug == "nishikawa"


def test_bad_inputs_name_the_field_and_save_nothing(db, tmp_path) -> None:
    path = write_setup(
        tmp_path,
        admin={"email": "admin-at-nishikawa"},
        office_hours={"opens": "17:30", "closes": "8:30"},
        closures=[{"date": "2027-02-30", "reason": "点検"}, {"date": "2027-01-05"}],
    )
    with pytest.raises(CommandError) as excinfo:
        run("setup", "--from", str(path))
    message = str(excinfo.value)
    assert "何も登録していません" in message
    assert "管理者のメールアドレス「admin-at-nishikawa」はメールアドレスではありません。" in message
    assert "開庁時刻（17:30）は閉庁時刻（08:30）より前にしてください。" in message
    assert "臨時閉庁日「2027-02-30」" in message
    assert "臨時閉庁日 2027-01-05 の理由がありません" in message
    assert Municipality.objects.count() == 0 and User.objects.count() == 0


def test_a_plan_file_with_an_error_rolls_everything_back(db, tmp_path) -> None:
    path = write_setup(tmp_path, departments=["住民税務課"])  # the plan names 総務課
    with pytest.raises(CommandError) as excinfo:
        run("setup", "--from", str(path))
    assert "計画ファイルを取り込めません" in str(excinfo.value) and "総務課" in str(excinfo.value)
    assert Municipality.objects.count() == 0 and User.objects.count() == 0 and Department.objects.count() == 0


def test_a_plan_file_of_another_municipality_is_refused(db, tmp_path) -> None:
    path = write_setup(tmp_path)
    (tmp_path / "plan.yaml").write_text(
        yaml.safe_dump({**PLAN, "municipality": "063240"}, allow_unicode=True), "utf-8"
    )
    with pytest.raises(CommandError, match=r"ほかの団体（municipality: 063240）のもの"):
        run("setup", "--from", str(path))
    assert Municipality.objects.count() == 0


def test_setup_file_errors(db, tmp_path) -> None:
    (tmp_path / "s.yaml").write_text("municipality: [063223\n", "utf-8")
    with pytest.raises(CommandError, match="YAML の書き方の誤り"):
        run("setup", "--from", str(tmp_path / "s.yaml"))
    (tmp_path / "s.yaml").write_text("municipality: '063223'\nadmn: {email: a@example.jp}\n", "utf-8")
    with pytest.raises(CommandError, match="知らない項目があります：admn"):
        run("setup", "--from", str(tmp_path / "s.yaml"))
    with pytest.raises(CommandError, match=r"設定ファイル .* がありません"):
        run("setup", "--from", str(tmp_path / "missing.yaml"))
    with pytest.raises(CommandError, match="最初の管理者のメールアドレス"):
        run("setup", "--code", "063223")


def test_setup_from_flags(db, monkeypatch) -> None:
    monkeypatch.setenv("YAKUSHO_ADMIN_PASSWORD", "nishikawa-first-2026")
    run(
        "setup",
        "--code",
        "063223",
        "--admin-email",
        "Admin@Town.Nishikawa.example.jp",
        "--closure",
        "令和9年1月4日=庁舎設備点検",
        "--department",
        "総務課",
    )
    town = Municipality.objects.get(code="063223")
    assert town.slug == "063223"
    assert Closure.objects.get(municipality=town).date.isoformat() == "2027-01-04"
    assert Membership.objects.get(municipality=town).user.email == "admin@town.nishikawa.example.jp"


def test_interactive_setup_asks_again_after_a_bad_answer(db, monkeypatch) -> None:
    monkeypatch.setenv("YAKUSHO_ADMIN_PASSWORD", "nishikawa-first-2026")
    answers = "\n".join(
        [
            "063224",  # wrong check digit: asked again
            "063223",
            "nishikawa",
            "",  # sender: the default
            "admin",  # not an address: asked again
            "admin@town.nishikawa.example.jp",
            "西川 太郎",
            "8時半",  # not a time: asked again
            "9:00",
            "",  # closes: the default 17:15
            "2027-01-04 庁舎設備点検",
            "",  # end of closures
            "総務課、住民税務課",
            "",  # no plan
            "",  # no procedures
        ]
    )
    text = run("setup", stdin=answers + "\n")
    assert "検査数字（末尾の1桁）が正しくありません" in text and "→ 山形県西川町（にしかわまち）" in text
    assert "「admin」はメールアドレスではありません。" in text and "「8時半」は時刻ではありません" in text
    town = Municipality.objects.get(slug="nishikawa")
    assert town.office_opens.strftime("%H:%M") == "09:00" and town.office_closes.strftime("%H:%M") == "17:15"
    assert town.email_from == "noreply@yakusho.invalid"
    assert Department.objects.filter(municipality=town).count() == 2
    assert Closure.objects.filter(municipality=town).count() == 1


def test_interactive_setup_that_ends_early_saves_nothing(db) -> None:
    with pytest.raises(CommandError, match="入力が途中で終わりました。何も登録していません。"):
        run("setup", stdin="063223\nnishikawa\n")
    assert Municipality.objects.count() == 0


# --- the pages of a new, empty municipality ------------------------------------------------------


def _patterns(resolver: Any, prefix: str = "", namespace: str = "") -> list[tuple[str, URLPattern]]:
    found: list[tuple[str, URLPattern]] = []
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            found += _patterns(p, prefix + str(p.pattern), ns)
        elif p.name:
            found.append((namespace + p.name, p))
    return found


#: pages that exist only after an action, and answer 404 without it
AFTER_AN_ACTION = {
    "/m/nishikawa/bookings/sent/": "the confirmation of a booking just made (kept in the session)"
}


def _pages_of_a_municipality() -> list[str]:
    """Names of the URL patterns whose one parameter is the municipality."""
    names = []
    for name, _pattern in _patterns(get_resolver()):
        try:
            reverse(name, kwargs={"municipality": "x"})
        except NoReverseMatch:
            continue
        names.append(name)
    return sorted(set(names))


def test_every_page_of_a_new_municipality_is_sensible(db, client, tmp_path, monkeypatch) -> None:
    """Public and staff pages of a just-set-up municipality: no error, no 「None」, no broken link."""
    monkeypatch.setenv("YAKUSHO_ADMIN_PASSWORD", "nishikawa-first-2026")
    run("setup", "--from", str(write_setup(tmp_path, plan=None)))
    names = _pages_of_a_municipality()
    assert len(names) > 20, names
    admin = User.objects.get(email="admin@town.nishikawa.example.jp")
    login_verified(client, admin)
    seen_links: set[str] = set()
    problems = []
    for name in names:
        url = reverse(name, kwargs={"municipality": "nishikawa"})
        if url in AFTER_AN_ACTION:
            continue
        response = client.get(url)
        if response.status_code >= 500 or response.status_code == 404:
            problems.append(f"{url}: {response.status_code}")
            continue
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        body = response.content.decode()
        if re.search(r">\s*None\s*<|「None」|: None\b", body):
            problems.append(f"{url}: shows None")
        seen_links |= set(re.findall(r'href="(/(?:m|staff/m)/nishikawa/[^"#?]*)"', body))
    for link in sorted(seen_links):
        status = client.get(link).status_code
        if status == 404 or status >= 500:
            problems.append(f"link {link}: {status}")
    assert problems == []
    assert len(seen_links) > 20 and "/m/nishikawa/" in seen_links
    catalogue = client.get(reverse("procedures:catalogue", args=["nishikawa"])).content.decode()
    assert "手続の案内はまだ載せていません。" in catalogue
