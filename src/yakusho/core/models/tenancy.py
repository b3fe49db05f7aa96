"""Tenants: municipalities, their departments, and consortia of municipalities.

Every tenant-owned model inherits :class:`TenantOwned`, whose queryset method ``for_municipality``
is the one way views and services scope their queries. A system check
(:mod:`yakusho.core.checks`) refuses a model that has a ``municipality`` key without it.
"""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from yakusho.core.validators import normalize_text, validate_municipality_code

if TYPE_CHECKING:
    from yakusho.core.models.accounts import User


class MunicipalityKind(models.TextChoices):
    CITY = "city", _("市")
    TOWN = "town", _("町")
    VILLAGE = "village", _("村")
    SPECIAL_WARD = "ward", _("特別区")


class Municipality(models.Model):
    """団体: a 市, 町, 村 or 特別区 — the tenant (created from the national list: ``LocalGovernment``)."""

    slug = models.SlugField(_("URL名"), max_length=40, unique=True)
    name = models.CharField(_("団体名"), max_length=60)
    name_en = models.CharField(_("英語名"), max_length=80, blank=True)
    kana = models.CharField(_("よみがな"), max_length=80)
    prefecture = models.CharField(_("都道府県"), max_length=10)
    kind = models.CharField(_("区分"), max_length=10, choices=MunicipalityKind.choices)
    code = models.CharField(
        _("全国地方公共団体コード"),
        max_length=6,
        unique=True,
        validators=[validate_municipality_code],
        help_text=_("6桁（末尾は検査数字）"),
    )
    population = models.PositiveIntegerField(_("人口"), null=True, blank=True)
    website = models.URLField(_("公式サイト"), blank=True)
    email_from = models.EmailField(_("メール送信元アドレス"))
    address = models.CharField(_("所在地"), max_length=200, blank=True)
    phone = models.CharField(_("代表電話"), max_length=20, blank=True)
    office_opens = models.TimeField(_("開庁時刻"), default=time(8, 30))
    office_closes = models.TimeField(_("閉庁時刻"), default=time(17, 15))
    closes_year_end = models.BooleanField(_("年末年始（12月29日〜1月3日）を閉庁日とする"), default=True)
    is_demo = models.BooleanField(_("デモデータ"), default=False)
    #: set by a system operator (運用管理者): public pages answer 403 「現在ご利用いただけません」 and
    #: its staff cannot sign in; nothing is deleted, and resuming clears it
    suspended_at = models.DateTimeField(_("利用停止日時"), null=True, blank=True)
    suspended_reason = models.CharField(_("利用停止の理由"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("団体")
        verbose_name_plural = _("団体")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.code = normalize_text(self.code)
        self.name = normalize_text(self.name)
        self.kana = normalize_text(self.kana)

    def get_additional_data(self) -> dict[str, Any]:
        return {"municipality": self.pk}

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    @property
    def sender(self) -> str:
        return f"{self.name} <{self.email_from}>"


class TenantQuerySet(models.QuerySet[Any]):
    def for_municipality(self, municipality: Municipality) -> TenantQuerySet:
        return self.filter(municipality=municipality)

    def for_user(self, user: User) -> TenantQuerySet:
        """Records of every municipality in which ``user`` holds an active membership."""
        return self.filter(
            municipality__memberships__user=user, municipality__memberships__is_active=True
        ).distinct()


TenantManager = models.Manager.from_queryset(TenantQuerySet)


class TenantOwned(models.Model):
    """Abstract base of every record that belongs to exactly one municipality."""

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("団体"), on_delete=models.PROTECT, related_name="+"
    )

    objects = TenantManager()

    class Meta:
        abstract = True

    def get_additional_data(self) -> dict[str, Any]:
        """Tags this record's audit entries with its municipality (see ``core.audit``)."""
        return {"municipality": self.municipality_id}


class Department(TenantOwned):
    """課 / 担当課 / 担当部署 of a municipality."""

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("団体"), on_delete=models.PROTECT, related_name="departments"
    )
    name = models.CharField(_("課名"), max_length=60)
    kana = models.CharField(_("よみがな"), max_length=80, blank=True)
    email = models.EmailField(_("連絡先メール"), blank=True)
    phone = models.CharField(
        _("電話番号"),
        max_length=20,
        blank=True,
        help_text=_("手続・予約のページに表示します。空欄なら団体の代表電話を表示します。"),
    )
    place = models.CharField(
        _("庁舎・窓口の場所"), max_length=100, blank=True, help_text=_("例：本庁舎1階 3番窓口")
    )
    hours = models.CharField(
        _("受付時間"),
        max_length=100,
        blank=True,
        help_text=_("空欄なら団体の開庁時間を表示します。例：平日 8:30〜17:15、第2日曜 9:00〜12:00"),
    )
    contact_is_demo = models.BooleanField(
        _("連絡先はデモ用の架空のもの"),
        default=False,
        help_text=_(
            "電話番号と場所はデモ用に作ったもので、実在しません。電話番号か場所を編集すると外れます。"
        ),
    )
    is_demo = models.BooleanField(
        _("デモ用の課"), default=False, help_text=_("計画に課の記載がないため、デモ用に設定した課")
    )
    order = models.PositiveIntegerField(_("表示順"), default=0)

    class Meta:
        verbose_name = _("課")
        verbose_name_plural = _("課")
        ordering = ["municipality", "order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "name"],
                name="department_unique_name_per_municipality",
                violation_error_message=_("同じ名前の課がすでにあります。"),
            )
        ]

    def __str__(self) -> str:
        return self.name


class ConsortiumKind(models.TextChoices):
    PREFECTURE = "prefecture", _("都道府県")
    DENSAN = "densan", _("電算組合・一部事務組合")
    OTHER = "other", _("その他の連携")


class Consortium(models.Model):
    """A prefecture or 電算組合 grouping member municipalities."""

    slug = models.SlugField(_("URL名"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=80)
    kind = models.CharField(_("種別"), max_length=20, choices=ConsortiumKind.choices)
    members = models.ManyToManyField(
        Municipality, verbose_name=_("構成団体"), related_name="consortia", blank=True
    )

    class Meta:
        verbose_name = _("広域連携")
        verbose_name_plural = _("広域連携")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ConsortiumQuerySet(models.QuerySet[Any]):
    def for_consortium(self, consortium: Consortium) -> ConsortiumQuerySet:
        return self.filter(consortium=consortium)


class ConsortiumOwned(models.Model):
    """Abstract base of what a consortium owns (joint goals, shared content)."""

    consortium = models.ForeignKey(
        Consortium, verbose_name=_("広域連携"), on_delete=models.PROTECT, related_name="+"
    )

    objects = models.Manager.from_queryset(ConsortiumQuerySet)()

    class Meta:
        abstract = True


class ConsortiumMembership(models.Model):
    """A staff account of a consortium (reads members' public and shared data)."""

    user = models.ForeignKey("core.User", on_delete=models.CASCADE, related_name="consortium_memberships")
    consortium = models.ForeignKey(Consortium, on_delete=models.CASCADE, related_name="memberships")
    is_active = models.BooleanField(_("有効"), default=True)

    class Meta:
        verbose_name = _("広域連携の職員")
        verbose_name_plural = _("広域連携の職員")
        constraints = [
            models.UniqueConstraint(fields=["user", "consortium"], name="consortium_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.consortium}"
