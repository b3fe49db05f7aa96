"""What the FAQ adds to the municipality's public home (core.ui registries)."""

from django.utils.translation import gettext_lazy as _

from yakusho.core.ui import public_links

public_links.register(
    "faq.home",
    label=_("よくある質問"),
    url_name="faq:home",
    order=7,
    description=_("証明書、引っ越し、ごみ、子育て、健診などの「どうすれば？」に答えます"),
)
