"""``yakusho setup``: the first run of a new municipality.

Takes the municipality by its 全国地方公共団体コード (created from the national list, or already
added by ``add-municipality``), its first administrator, office hours, closures and departments,
and optionally a plan file and a procedure file to import — all in one transaction: a bad input
saves nothing. Then it runs the deployment checks and prints the next steps.

Interactive (questions on the terminal) unless ``--from FILE`` (YAML, see ``docs/operations.md``)
or ``--code`` is given; flags override the file. A municipality that already has an administrator
is refused, so running it twice creates nothing twice.
"""

from __future__ import annotations

import io
import os
import secrets
import sys
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import IO, Any

import yaml
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, SystemCheckError
from django.core.validators import validate_email
from django.db import transaction

from yakusho.core import jcal, localgov
from yakusho.core.models import Closure, Department, Membership, Municipality, Role, User
from yakusho.core.registry import NotRegistered
from yakusho.core.setup_files import SetupFileInvalid, setup_files
from yakusho.core.validators import normalize_text

PASSWORD_ENV = "YAKUSHO_ADMIN_PASSWORD"  # noqa: S105 - the name of a variable, not a password
FILE_KEYS = {
    "municipality",
    "slug",
    "email",
    "admin",
    "office_hours",
    "closures",
    "departments",
    "plan",
    "procedures",
}


@dataclass
class Answers:
    code: str = ""
    slug: str = ""
    email: str = ""
    admin_email: str = ""
    admin_name: str = ""
    opens: str = ""
    closes: str = ""
    closures: list[tuple[str, str]] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    plan: str = ""
    procedures: str = ""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML reads 08:30 unquoted as sexagesimal minutes (510)
        return f"{value // 60:02d}:{value % 60:02d}"
    return normalize_text(str(value))


def parse_time(value: str, label: str) -> time:
    text = normalize_text(value).replace("：", ":")
    try:
        hours, minutes = (int(p) for p in text.split(":"))
        return time(hours, minutes)
    except ValueError:
        raise CommandError(f"{label}「{value}」は時刻ではありません。8:30 のように書いてください。") from None


class Command(BaseCommand):
    help = (
        "First run of a new municipality: the municipality by code, its first administrator, office hours, "
        "closures, departments, optional plan and procedure files; then the deployment checks and next steps."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--from", dest="source", help="setup file (YAML)")
        parser.add_argument("--code", help="全国地方公共団体コード (6 digits)")
        parser.add_argument("--slug", help="URL name; default: the code")
        parser.add_argument("--email", help="sender address of the municipality's mail")
        parser.add_argument("--admin-email", help="e-mail address of the first administrator")
        parser.add_argument("--admin-name", help="name of the first administrator")
        parser.add_argument("--opens", help="office opening time, e.g. 8:30")
        parser.add_argument("--closes", help="office closing time, e.g. 17:15")
        parser.add_argument(
            "--closure", action="append", default=[], metavar="DATE=REASON", help="a closure day (repeatable)"
        )
        parser.add_argument("--department", action="append", default=[], help="a department (repeatable)")
        parser.add_argument("--plan", help="plan file (YAML) to import")
        parser.add_argument("--procedures", help="procedure file (YAML) to import")
        parser.add_argument("--no-input", action="store_true", help="never ask: fail on a missing value")

    # --- reading the answers ----------------------------------------------------------------

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdin: IO[str] = options.get("stdin") or sys.stdin
        answers = Answers()
        if options["source"]:
            self._read_file(Path(options["source"]), answers)
        self._read_flags(options, answers)
        interactive = not (options["source"] or options["code"] or options["no_input"])
        if interactive:
            self._ask(answers)
        self._run(answers)

    def _read_file(self, path: Path, answers: Answers) -> None:
        try:
            data = yaml.safe_load(path.read_text("utf-8"))
        except FileNotFoundError:
            raise CommandError(f"設定ファイル {path} がありません。") from None
        except UnicodeDecodeError:
            raise CommandError(
                f"設定ファイル {path} は UTF-8 ではありません。UTF-8 で保存してください。"
            ) from None
        except yaml.YAMLError as exc:
            raise CommandError(f"設定ファイル {path} を読めません（YAML の書き方の誤り）：{exc}") from None
        if not isinstance(data, dict):
            raise CommandError(
                f"設定ファイル {path} は「municipality: 063223」のような項目の並びにしてください。"
            )
        unknown = sorted(str(k) for k in data if k not in FILE_KEYS)
        if unknown:
            raise CommandError(
                f"設定ファイル {path} に知らない項目があります：{'、'.join(unknown)}"
                f"（使える項目：{'、'.join(sorted(FILE_KEYS))}）。"
            )
        answers.code = _text(data.get("municipality"))
        answers.slug = _text(data.get("slug"))
        answers.email = _text(data.get("email"))
        admin = data.get("admin") or {}
        if not isinstance(admin, dict):
            raise CommandError("設定ファイルの admin は「email: …」「name: …」の形にしてください。")
        answers.admin_email = _text(admin.get("email"))
        answers.admin_name = _text(admin.get("name"))
        hours = data.get("office_hours") or {}
        if not isinstance(hours, dict):
            raise CommandError(
                "設定ファイルの office_hours は「opens: '8:30'」「closes: '17:15'」の形にしてください。"
            )
        answers.opens = _text(hours.get("opens"))
        answers.closes = _text(hours.get("closes"))
        closures = data.get("closures") or []
        if not isinstance(closures, list) or not all(isinstance(c, dict) for c in closures):
            raise CommandError(
                "設定ファイルの closures は「- date: 2027-01-04」「reason: …」の並びにしてください。"
            )
        answers.closures = [(_text(c.get("date")), _text(c.get("reason"))) for c in closures]
        departments = data.get("departments") or []
        if not isinstance(departments, list):
            raise CommandError("設定ファイルの departments は課の名前の並び（- 総務課）にしてください。")
        answers.departments = [_text(d) for d in departments]
        for key in ("plan", "procedures"):
            if data.get(key):
                setattr(answers, key, str(path.parent / str(data[key])))

    def _read_flags(self, options: dict[str, Any], answers: Answers) -> None:
        for flag, attr in (
            ("code", "code"),
            ("slug", "slug"),
            ("email", "email"),
            ("admin_email", "admin_email"),
            ("admin_name", "admin_name"),
            ("opens", "opens"),
            ("closes", "closes"),
            ("plan", "plan"),
            ("procedures", "procedures"),
        ):
            if options.get(flag):
                setattr(
                    answers,
                    attr,
                    _text(options[flag]) if attr not in ("plan", "procedures") else options[flag],
                )
        for item in options["closure"]:
            day, _sep, reason = item.partition("=")
            answers.closures.append((_text(day), _text(reason)))
        answers.departments += [_text(d) for d in options["department"]]

    def _line(self, prompt: str) -> str:
        self.stdout.write(prompt, ending="")
        self.stdout.flush()
        line = self.stdin.readline()
        if not line:
            raise CommandError("入力が途中で終わりました。何も登録していません。")
        return normalize_text(line)

    def _ask(self, answers: Answers) -> None:
        """Ask on the terminal for what the flags did not give; a bad answer is asked again."""
        while True:
            code = answers.code or self._line("全国地方公共団体コード（6桁、例：063223）: ")
            try:
                lg = localgov.find(code)
            except localgov.SetupError as exc:
                self.stdout.write(str(exc))
                answers.code = ""
                continue
            answers.code = lg.code
            self.stdout.write(f"  → {lg.prefecture}{lg.name}（{lg.full_kana}）")
            break
        existing = Municipality.objects.filter(code=answers.code).first()
        if existing is None:
            answers.slug = answers.slug or self._line(f"URL名（/m/○○/、空欄なら {answers.code}）: ")
            answers.email = answers.email or self._line(
                f"メール送信元アドレス（空欄なら {settings.DEFAULT_FROM_EMAIL}）: "
            )
        while not answers.admin_email:
            value = self._line("最初の管理者のメールアドレス: ")
            try:
                validate_email(value)
            except ValidationError:
                self.stdout.write(f"「{value}」はメールアドレスではありません。")
                continue
            answers.admin_email = value
        answers.admin_name = answers.admin_name or self._line("管理者の氏名（空欄可）: ")
        for attr, prompt, default in (
            ("opens", "開庁時刻（空欄なら 8:30）: ", "8:30"),
            ("closes", "閉庁時刻（空欄なら 17:15）: ", "17:15"),
        ):
            while not getattr(answers, attr):
                value = self._line(prompt) or default
                try:
                    parse_time(value, "時刻")
                except CommandError as exc:
                    self.stdout.write(str(exc))
                    continue
                setattr(answers, attr, value)
        if not answers.closures:
            self.stdout.write(
                "臨時閉庁日（土日・祝日・年末年始のほか）を「2027-01-04 庁舎点検」の形で。空行で終わり。"
            )
            while line := self._line("閉庁日: "):
                day, _sep, reason = line.partition(" ")
                answers.closures.append((day, reason.strip()))
        if not answers.departments:
            line = self._line("課の名前（、で区切る。空欄可。計画ファイルが担当課に挙げる課は必要）: ")
            answers.departments = [d.strip() for d in line.replace(",", "、").split("、") if d.strip()]
        answers.plan = answers.plan or self._line("取り込む計画ファイル（空欄なら取り込まない）: ")
        answers.procedures = answers.procedures or self._line(
            "取り込む手続ファイル（空欄なら取り込まない）: "
        )

    # --- checking and saving ----------------------------------------------------------------

    def _check(self, a: Answers) -> tuple[time, time, list[tuple[date, str]]]:
        errors: list[str] = []
        if not a.code:
            errors.append("全国地方公共団体コード（--code または municipality）がありません。")
        if not a.admin_email:
            errors.append("最初の管理者のメールアドレス（--admin-email または admin.email）がありません。")
        else:
            try:
                validate_email(a.admin_email)
            except ValidationError:
                errors.append(f"管理者のメールアドレス「{a.admin_email}」はメールアドレスではありません。")
        opens, closes = time(8, 30), time(17, 15)
        try:
            opens = parse_time(a.opens, "開庁時刻（--opens）") if a.opens else opens
            closes = parse_time(a.closes, "閉庁時刻（--closes）") if a.closes else closes
            if opens >= closes:
                errors.append(f"開庁時刻（{opens:%H:%M}）は閉庁時刻（{closes:%H:%M}）より前にしてください。")
        except CommandError as exc:
            errors.append(str(exc))
        closures: list[tuple[date, str]] = []
        for day_text, reason in a.closures:
            try:
                day = jcal.parse_japanese_date(day_text)
            except jcal.JapaneseDateError as exc:
                errors.append(f"臨時閉庁日「{day_text}」：{exc}")
                continue
            if not reason:
                errors.append(f"臨時閉庁日 {day.isoformat()} の理由がありません（例：2027-01-04=庁舎点検）。")
            elif len(reason) > 100:
                errors.append(f"臨時閉庁日 {day.isoformat()} の理由は100字以内にしてください。")
            closures.append((day, reason))
        for name in a.departments:
            if not name or len(name) > 60:
                errors.append(f"課の名前「{name}」は1字以上60字以内にしてください。")
        for label, value in (
            ("計画ファイル（--plan）", a.plan),
            ("手続ファイル（--procedures）", a.procedures),
        ):
            if value and not Path(value).is_file():
                errors.append(f"{label} {value} がありません。")
        if errors:
            raise CommandError("\n".join(["次の入力を直してください。何も登録していません。", *errors]))
        return opens, closes, closures

    def _run(self, a: Answers) -> None:
        opens, closes, closures = self._check(a)
        given = os.environ.get(PASSWORD_ENV, "")
        password = given or secrets.token_urlsafe(12)
        try:
            with transaction.atomic():
                municipality = self._municipality(a)
                municipality.office_opens, municipality.office_closes = opens, closes
                municipality.save(update_fields=["office_opens", "office_closes", "email_from"])
                self.stdout.write(
                    f"団体：{municipality.prefecture}{municipality.name}（{municipality.code}、/m/{municipality.slug}/）"
                )
                self.stdout.write(f"開庁時間：{opens:%H:%M}〜{closes:%H:%M}")
                for day, reason in closures:
                    Closure.objects.get_or_create(
                        municipality=municipality, date=day, defaults={"reason": reason}
                    )
                    self.stdout.write(f"臨時閉庁日：{jcal.format_date(day)} {reason}")
                for order, name in enumerate(a.departments, start=1):
                    Department.objects.get_or_create(
                        municipality=municipality, name=name, defaults={"order": order}
                    )
                if a.departments:
                    self.stdout.write(f"課：{'、'.join(a.departments)}")
                user = self._admin(municipality, a, password)
                self._import(municipality, a)
        except localgov.SetupError as exc:
            raise CommandError(f"{exc}\n何も登録していません。") from None
        self.stdout.write(self.style.SUCCESS(f"{municipality.name}の初期設定を終えました。"))
        self._deploy_checks()
        self._next_steps(municipality, user, "" if given else password)

    def _municipality(self, a: Answers) -> Municipality:
        lg = localgov.find(a.code)
        municipality = Municipality.objects.filter(code=lg.code).first()
        if municipality is None:
            return localgov.create_municipality(lg.code, a.slug, a.email)
        admins = Membership.objects.filter(municipality=municipality, role=Role.ADMIN, is_active=True)
        if admins.exists():
            emails = "、".join(admins.values_list("user__email", flat=True))
            raise localgov.SetupError(
                f"{municipality.name}はすでに初期設定されています（管理者：{emails}）。"
                "設定を変えるには職員画面の「団体の設定」を使ってください。"
            )
        if a.slug and a.slug != municipality.slug:
            raise localgov.SetupError(
                f"{municipality.name}はすでに URL名「{municipality.slug}」で登録されています（指定："
                f"{a.slug}）。"
            )
        if a.email:
            try:
                validate_email(a.email)
            except ValidationError:
                raise localgov.SetupError(
                    f"メール送信元アドレス「{a.email}」はメールアドレスではありません。"
                ) from None
            municipality.email_from = a.email
        return municipality

    def _admin(self, municipality: Municipality, a: Answers, password: str) -> User:
        email = a.admin_email.lower()
        user = User.objects.filter(email=email).first()
        is_new = user is None
        if user is None:
            user = User(email=email, display_name=a.admin_name)
            try:
                password_validation.validate_password(password, user)
            except ValidationError as exc:
                raise localgov.SetupError(
                    f"環境変数 {PASSWORD_ENV} のパスワード：{' '.join(exc.messages)}"
                ) from None
            user.set_password(password)
            user.save()
        Membership.objects.update_or_create(
            user=user, municipality=municipality, defaults={"role": Role.ADMIN, "is_active": True}
        )
        user.is_new = is_new  # type: ignore[attr-defined]
        self.stdout.write(
            f"管理者：{email}{'（新しいアカウント）' if is_new else '（既存のアカウントに役割を追加）'}"
        )
        return user

    def _import(self, municipality: Municipality, a: Answers) -> None:
        """The plan and procedure files, through the importers their apps register (core imports
        no other app: ``core.setup_files``)."""
        for key, path in (("plan", a.plan), ("procedures", a.procedures)):
            if not path:
                continue
            try:
                entry = setup_files.get(key)
            except NotRegistered:
                raise localgov.SetupError(f"{key} のファイルを取り込むアプリがありません。") from None
            self._same_municipality(path, entry.owner_key, entry.owner(municipality), entry.label)
            try:
                line = entry.run(path)
            except SetupFileInvalid as exc:
                raise localgov.SetupError(
                    f"{entry.label}を取り込めません：\n" + "\n".join(exc.errors)
                ) from None
            self.stdout.write(line)

    def _same_municipality(self, path: str, key: str, expected: str, label: str) -> None:
        """A plan or procedure file of another municipality is refused before it is imported."""
        try:
            data = yaml.safe_load(Path(path).read_text("utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError):
            return  # the importer reports it with the line
        found = str(data.get(key, "")) if isinstance(data, dict) else ""
        if found and found != expected:
            raise localgov.SetupError(
                f"{label} {path} はほかの団体（{key}: {found}）のものです（この団体：{expected}）。"
            )

    def _deploy_checks(self) -> None:
        out = io.StringIO()
        try:
            call_command("check", deploy=True, stdout=out, stderr=out)
        except SystemCheckError as exc:
            self.stdout.write("配備チェック（yakusho check --deploy）：直すべき問題があります。")
            self.stdout.write(str(exc))
            return
        text = out.getvalue().strip()
        if "System check identified no issues" in text:
            self.stdout.write("配備チェック（yakusho check --deploy）：問題ありません。")
        else:
            self.stdout.write(
                "配備チェック（yakusho check --deploy）：本番の前に次の警告を確かめてください。"
            )
            self.stdout.write(text)

    def _next_steps(self, municipality: Municipality, user: User, password: str) -> None:
        base = settings.YAKUSHO_BASE_URL.rstrip("/")
        self.stdout.write("")
        self.stdout.write("次にすること：")
        self.stdout.write(
            f"  1. yakusho serve で起動し、{base}/staff/login/ に {user.email} でログインする。"
        )
        if password and getattr(user, "is_new", False):
            self.stdout.write(
                f"     初回のパスワード：{password}（この画面にだけ表示します。控えてください）"
            )
        elif getattr(user, "is_new", False):
            self.stdout.write(f"     パスワードは環境変数 {PASSWORD_ENV} で渡したものです。")
        self.stdout.write("     管理者は最初のログインで二要素認証（認証アプリ）を設定します。")
        self.stdout.write(f"  2. 職員画面 {base}/staff/m/{municipality.slug}/ で課と職員（招待）を登録する。")
        self.stdout.write(
            "  3. 団体の設定で代表電話・所在地・公式サイトを入れる："
            f"{base}/staff/m/{municipality.slug}/settings/"
        )
        self.stdout.write("  4. 計画は yakusho import-plan、手続は yakusho import-procedures で取り込める。")
        self.stdout.write(f"  5. 住民向けのページ：{base}/m/{municipality.slug}/")
