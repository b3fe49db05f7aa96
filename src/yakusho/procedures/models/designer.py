"""The form designer's working copy: one draft definition per procedure, edited in the back-office.

A ``FormDraft`` holds a form definition that the engine accepts (``procedures.designer`` checks it
after every change and saves nothing otherwise). Publishing it adds a ``FormDefinition`` version
and deletes the draft. Imported at the bottom of ``procedures/models.py``; registered with the
audit trail here.
"""

from __future__ import annotations

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yakusho.core.models import TenantOwned
from yakusho.procedures.models.catalogue import Procedure


class FormDraft(TenantOwned):
    """The designer's draft of a procedure's next form version."""

    procedure = models.OneToOneField(
        Procedure, verbose_name=_("手続"), on_delete=models.CASCADE, related_name="form_draft"
    )
    definition = models.JSONField(_("定義（JSON）"))
    based_on_version = models.PositiveIntegerField(
        _("元にした版"), null=True, blank=True, help_text=_("空欄はまだ版のないフォーム")
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("更新者"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("フォームの下書き")
        verbose_name_plural = _("フォームの下書き")
        ordering = ["municipality", "procedure"]

    def __str__(self) -> str:
        return str(_("%(procedure)s のフォームの下書き") % {"procedure": self.procedure})


DESIGNER_MODELS = [FormDraft]

if not auditlog.contains(FormDraft):
    auditlog.register(FormDraft, exclude_fields=["updated_at"])

__all__ = ["DESIGNER_MODELS", "FormDraft"]
