"""The FAQ knowledge base (よくある質問): a municipality's entries, a consortium's shared entries and
a member's local version of a shared answer (docs/faq.md)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from yakusho.bookings.models import Resource
from yakusho.core.models import ConsortiumOwned, Department, Municipality, TenantOwned
from yakusho.procedures.models import Procedure


class Visibility(models.TextChoices):
    PUBLIC = "public", _("公開")
    STAFF = "staff", _("職員のみ")


class Category(TenantOwned):
    """A category or (with ``parent``) sub-category of a municipality's FAQ: the guided mode's buttons."""

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("団体"), on_delete=models.PROTECT, related_name="faq_categories"
    )
    name = models.CharField(_("分類"), max_length=40)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上位の分類"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
    )
    order = models.PositiveIntegerField(_("表示順"), default=0)

    class Meta:
        verbose_name = _("FAQの分類")
        verbose_name_plural = _("FAQの分類")
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "parent", "name"], name="faq_category_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parent.name} › {self.name}" if self.parent_id and self.parent else self.name


class EntryFields(models.Model):
    """What an entry says, the same for a municipality's entry and a consortium's shared one."""

    key = models.SlugField(_("キー"), max_length=60)
    category = models.CharField(_("分類"), max_length=40)
    subcategory = models.CharField(_("小分類"), max_length=40, blank=True)
    question = models.CharField(_("質問"), max_length=200)
    phrasings = models.TextField(
        _("ほかの聞き方"), blank=True, help_text=_("住民が使う言い方を1行に1つ。検索はこれも探します。")
    )
    answer = models.TextField(_("回答"), help_text=_("Markdownで書けます"))
    visibility = models.CharField(
        _("公開範囲"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    valid_from = models.DateField(_("掲載開始日"), null=True, blank=True)
    valid_to = models.DateField(_("掲載終了日"), null=True, blank=True)
    reviewed_on = models.DateField(_("最終確認日"), null=True, blank=True)
    is_demo = models.BooleanField(_("デモデータ"), default=False)
    version = models.PositiveIntegerField(_("版"), default=1, editable=False)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.question

    def phrasing_list(self) -> list[str]:
        return [line.strip() for line in self.phrasings.splitlines() if line.strip()]


class Entry(EntryFields, TenantOwned):
    """A question and its answer in a municipality's FAQ, linked to what settles it."""

    AUDITED_M2M = ("procedures", "resources")

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("団体"), on_delete=models.PROTECT, related_name="faq_entries"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("担当課"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="faq_entries",
    )
    procedures = models.ManyToManyField(
        Procedure, verbose_name=_("関連する手続"), blank=True, related_name="faq_entries"
    )
    resources = models.ManyToManyField(
        Resource, verbose_name=_("関連する予約"), blank=True, related_name="faq_entries"
    )

    class Meta:
        verbose_name = _("よくある質問")
        verbose_name_plural = _("よくある質問")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "key"], name="faq_entry_unique_key"),
        ]


class SharedEntry(EntryFields, ConsortiumOwned):
    """An entry a consortium (電算組合, a prefecture) keeps for all its members."""

    class Meta:
        verbose_name = _("共有のよくある質問")
        verbose_name_plural = _("共有のよくある質問")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["consortium", "key"], name="faq_shared_entry_unique_key"),
        ]

    def get_additional_data(self) -> dict[str, Any]:
        return {"consortium": self.consortium_id}


class Override(TenantOwned):
    """A member's own answer to a shared entry (its counter, hours, phone), without copying the entry."""

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("団体"), on_delete=models.PROTECT, related_name="faq_overrides"
    )
    entry = models.ForeignKey(
        SharedEntry, verbose_name=_("共有の質問"), on_delete=models.CASCADE, related_name="overrides"
    )
    answer = models.TextField(_("この団体の回答"), help_text=_("Markdownで書けます"))
    department = models.ForeignKey(
        Department,
        verbose_name=_("担当課"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="faq_overrides",
    )
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("共有の質問の団体別回答")
        verbose_name_plural = _("共有の質問の団体別回答")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "entry"], name="faq_override_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.entry.question}（{self.municipality}）"


class Channel(models.TextChoices):
    PAGE = "page", _("FAQページ")
    CHAT = "chat", _("チャット")
    GUIDED = "guided", _("分類から選択")
    API = "api", _("API")


class Query(TenantOwned):
    """One question a resident asked, as logged for the analysis: personal data masked before it is
    stored (``faq.masking``), no cookie, address or account kept; the answer given and whether the
    resident said it helped."""

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("団体"), on_delete=models.PROTECT, related_name="faq_queries"
    )
    asked_at = models.DateTimeField(_("日時"), db_index=True)
    text = models.CharField(_("質問（個人情報を伏せたもの）"), max_length=200)
    channel = models.CharField(_("経路"), max_length=10, choices=Channel.choices)
    answered = models.BooleanField(_("回答できた"))
    entry_ref = models.CharField(_("回答した質問"), max_length=20, blank=True)
    entry_question = models.CharField(_("回答した質問の文"), max_length=200, blank=True)
    category = models.CharField(_("分類"), max_length=40, blank=True)
    subcategory = models.CharField(_("小分類"), max_length=40, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("担当課"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="faq_queries",
    )
    score = models.FloatField(_("一致度"), default=0.0)
    out_of_hours = models.BooleanField(_("開庁時間外"))
    helpful = models.BooleanField(_("解決した"), null=True, blank=True)
    rated_at = models.DateTimeField(_("評価日時"), null=True, blank=True)
    token = models.CharField(_("評価用の鍵"), max_length=32, editable=False)
    is_demo = models.BooleanField(_("デモデータ"), default=False)

    class Meta:
        verbose_name = _("FAQへの質問の記録")
        verbose_name_plural = _("FAQへの質問の記録")
        ordering = ["-asked_at", "-pk"]
        indexes = [models.Index(fields=["municipality", "asked_at"], name="faq_query_town_time")]

    def __str__(self) -> str:
        return self.text


class QuestionStatus(models.TextChoices):
    OPEN = "open", _("未回答")
    ANSWERED = "answered", _("回答済み")
    CLOSED = "closed", _("対応不要")


class Question(TenantOwned):
    """A question a resident left when no entry fitted (お問い合わせ): staff answer it by e-mail,
    and may turn the question and the answer into a new entry with one click. The e-mail address is
    erased once the answer is sent."""

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("団体"), on_delete=models.PROTECT, related_name="faq_questions"
    )
    code = models.CharField(_("受付番号"), max_length=12, unique=True)
    asked_at = models.DateTimeField(_("受付日時"), db_index=True)
    text = models.TextField(_("質問"), max_length=1000)
    email = models.EmailField(_("返信先メールアドレス"), blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("担当課"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="faq_questions",
    )
    status = models.CharField(
        _("状態"), max_length=10, choices=QuestionStatus.choices, default=QuestionStatus.OPEN
    )
    answer = models.TextField(_("回答"), blank=True)
    answered_at = models.DateTimeField(_("回答日時"), null=True, blank=True)
    answered_by = models.ForeignKey(
        "core.User",
        verbose_name=_("回答した職員"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    entry = models.ForeignKey(
        Entry,
        verbose_name=_("作成したFAQ"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="from_questions",
    )
    is_demo = models.BooleanField(_("デモデータ"), default=False)

    class Meta:
        verbose_name = _("住民からの質問")
        verbose_name_plural = _("住民からの質問")
        ordering = ["-asked_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.code}: {self.text[:30]}"
