"""A municipality's own synonym groups for the Japanese search (``core.textsearch``): its local
words (a facility's nickname, a local name of a tax) beside the shipped groups of
``data/search/synonyms.yaml``. The FAQ and the procedure catalogue both read them."""

from __future__ import annotations

import re

from django.db import models
from django.utils.translation import gettext_lazy as _

from yakusho.core.models.tenancy import Municipality, TenantOwned

#: words of a group are separated by commas (half- or full-width), 読点 or line breaks
SEPARATORS = re.compile(r"[,、，\n]+")


class SynonymGroup(TenantOwned):
    """Words that mean the same thing to a resident of this municipality (マイナ, マイナンバーカード)."""

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("団体"), on_delete=models.PROTECT, related_name="synonym_groups"
    )
    words = models.CharField(
        _("同じ意味の言葉"),
        max_length=500,
        help_text=_("読点（、）またはカンマで区切って2語以上。例：マイナ、マイナンバーカード"),
    )
    note = models.CharField(_("メモ"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("検索の同義語")
        verbose_name_plural = _("検索の同義語")
        ordering = ["pk"]

    def __str__(self) -> str:
        return "、".join(self.word_list())

    def word_list(self) -> list[str]:
        seen: list[str] = []
        for word in SEPARATORS.split(self.words):
            word = word.strip()
            if word and word not in seen:
                seen.append(word)
        return seen
