"""The form engine: versioned JSON form definitions, validated server-side.

Django-independent apart from translations and ``UploadedFile``; no models. See docs/forms.md.

    form = load_definition(json_text)          # DefinitionError with (json_path, message) pairs
    result = form.validate(request.POST, request.FILES, page=0)
    if result.ok: ... result.cleaned ...
    form.fee(cleaned), form.summary(cleaned), form.visible_fields(cleaned)
    form.fact_fields(), form.fact_values(cleaned), form.fact_input(facts)   # ワンスオンリー
"""

from __future__ import annotations

from typing import Any

from yakusho.core.uploads import FileInfo

from .checks import parse_definition
from .definition import DefinitionError
from .display import SummaryRow
from .engine import FORM_ERRORS, FeeError, FormDefinition, Result
from .expressions import ExpressionError
from .facts import FactField, identity_facts

__all__ = [
    "FORM_ERRORS",
    "DefinitionError",
    "ExpressionError",
    "FactField",
    "FeeError",
    "FileInfo",
    "FormDefinition",
    "Result",
    "SummaryRow",
    "check_successor",
    "identity_facts",
    "load_definition",
]


def load_definition(data: dict[str, Any] | str) -> FormDefinition:
    """Parse and check a definition (a dict or JSON text); raise :class:`DefinitionError`."""
    return parse_definition(data, FormDefinition)


def check_successor(old: FormDefinition, new: FormDefinition) -> None:
    """Refuse ``new`` as the next version of ``old``: another key, or changed content without a
    higher version (a version, once used, never changes: submissions keep pointing at it)."""
    from django.utils.translation import gettext as _

    if new.key != old.key:
        raise DefinitionError(
            [
                (
                    "$.key",
                    _("フォームのキーは変えられません（「%(old)s」→「%(new)s」）。")
                    % {"old": old.key, "new": new.key},
                )
            ]
        )
    if new.fingerprint != old.fingerprint and new.version <= old.version:
        raise DefinitionError(
            [
                (
                    "$.version",
                    _("定義を変更したときは版を上げてください（いまの版は%(old)s、新しい定義は%(new)s）。")
                    % {"old": old.version, "new": new.version},
                )
            ]
        )
