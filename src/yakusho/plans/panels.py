"""What the plans app adds to shared pages."""

from django.utils.translation import gettext_lazy as _

from yakusho.core.ui import public_links

public_links.register(
    "plans.list",
    label=_("DX推進計画"),
    url_name="plans:list",
    order=10,
    description=_("計画の施策・工程表・KPIと、その進み具合"),
)
public_links.register("plans.glossary", label=_("DX推進計画の用語集"), url_name="plans:glossary", order=20)
