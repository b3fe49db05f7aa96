"""What payments adds to the municipality's public home (core.ui registries)."""

from django.utils.translation import gettext_lazy as _

from yakusho.core.ui import public_links

public_links.register(
    "payments.fees",
    label=_("手数料と支払方法"),
    url_name="payments:fees",
    order=8,
    description=_("証明書の交付手数料や使用料の金額と、現金・キャッシュレスなど使える支払方法"),
)
