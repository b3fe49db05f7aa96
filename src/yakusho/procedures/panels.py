"""What the procedures app adds to shared pages."""

from django.utils.translation import gettext_lazy as _

from yakusho.core.ui import public_links, public_searches

public_links.register(
    "procedures.catalogue",
    label=_("手続の案内・オンライン申請"),
    url_name="procedures:catalogue",
    order=5,
    description=_("必要な手続を探して、申請の方法・持ち物・手数料を確認できます"),
)
public_searches.register(
    "procedures.catalogue",
    label=_("手続を探す"),
    url_name="procedures:catalogue",
    order=10,
    help_text=_("漢字・ひらがな・カタカナのどれでも探せます（例：じゅうみんひょう、児童手当）"),
)

from yakusho.procedures.submissions import panels as panels_submissions  # noqa: E402, F401  (the inbox's staff-home panel)
