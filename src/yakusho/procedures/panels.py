"""What the procedures app adds to shared pages."""

from django.utils.translation import gettext_lazy as _

from yakusho.core.ui import public_links

public_links.register(
    "procedures.catalogue",
    label=_("手続の案内・オンライン申請"),
    url_name="procedures:catalogue",
    order=5,
    description=_("必要な手続を探して、申請の方法・持ち物・手数料を確認できます"),
)

from yakusho.procedures.submissions import panels as panels_submissions  # noqa: E402, F401  (the inbox's staff-home panel)
